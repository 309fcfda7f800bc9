//! libkeyward: the C ABI.
