//! The record of one connection (filled in below).
