//! keyward-cryptosession: the Direct3D 11 crypto session and OPM, in software.
