//! The record of one connection.

use super::{Field, Sink, Type, fields};

/// What a connection row is made from.
pub type Record = crate::analysis::story::ConnectionStory;

/// The row field of a connection.
pub static CONNECTION: Field = Field {
    name: "connection",
    ty: Type::Struct(&COLUMNS),
    nullable: false,
    doc: "One TCP connection and its story.",
};

fields! {
    /// The columns of a connection row, in order.
    COLUMNS = [
        CONN: "conn", Type::UInt64, false, "Connection number (tshark's `tcp.stream`).";
    ]
}

/// Hands one connection row to `s`.
pub fn visit<S: Sink + ?Sized>(s: &mut S, c: &Record) {
    s.begin(&CONNECTION);
    s.u64(&CONN, c.conn.0);
    s.end();
}
