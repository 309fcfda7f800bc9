"""Entry point of the probe suite: collects every family and hands them to the runner."""

import sys

import cases_client
import cases_flow
import cases_hello
import runner


def all_probes():
    probes = []
    probes += cases_hello.ext_probes("ext13", 13, "default")
    probes += cases_hello.ext_probes("ext12", 12, "default")
    probes += cases_hello.hello_field_probes()
    probes += cases_hello.version_probes()
    probes += cases_hello.tls13_rule_probes()
    probes += cases_flow.tls12_probes()
    probes += cases_flow.order_probes()
    probes += cases_flow.ccs_probes()
    probes += cases_flow.record_probes()
    probes += cases_flow.keyupdate_probes()
    probes += cases_flow.reneg_probes()
    probes += cases_flow.flood_probes()
    probes += cases_flow.bleichenbacher_probes()
    probes += cases_hello.ems_probes()
    probes += cases_hello.sni_probes()
    probes += cases_hello.etm_probes()
    probes += cases_hello.legacy_probes()
    probes += cases_client.client_probes()
    return probes


if __name__ == "__main__":
    sys.exit(runner.main(all_probes()))
