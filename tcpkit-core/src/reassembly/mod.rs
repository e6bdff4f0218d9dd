//! Byte-stream reassembly: each direction of a connection as the application saw it.

// PLACEHOLDER: lands with the reassembly issue.
