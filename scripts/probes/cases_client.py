def client_probes():
    return []
