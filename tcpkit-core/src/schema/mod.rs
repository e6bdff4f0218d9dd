//! The columns of tcpkit's results, declared once: every output format is
//! generated from these declarations.
//!
//! A row type (a TCP segment, [`segment`]; a connection, [`connection`]; the
//! capture-wide report, its listeners and findings, [`report`]) is a
//! list of [`Field`]s (name, [`Type`], nullability, doc) and one `visit`
//! function that walks a value of it, handing each field's value to a
//! [`Sink`]. [`json`] is the sink that writes a JSON object (what
//! `tcpkit segments --json` and `tcpkit flows --json` print); the Arrow sink
//! of `tcpkit_core::arrow` (feature `arrow`) appends to column builders whose
//! Arrow schema is built from the same declarations. Adding a field to a
//! `visit` function adds it to both; a field visited but not declared (or of
//! another type) is an error of the Arrow sink, and the tests build Arrow
//! batches from every lab capture.
//!
//! How each [`Type`] is written:
//!
//! | type | JSON | Arrow |
//! |---|---|---|
//! | `Bool` | `true` / `false` | `Boolean` |
//! | `UInt8` .. `UInt64`, `Int64` | integer | same |
//! | `Float64` | number (shortest round-trip form) | `Float64` |
//! | `Timestamp` | integer nanoseconds since the epoch | `Timestamp(Nanosecond, "UTC")` |
//! | `Duration` | seconds with nine decimals (exact) | `Duration(Nanosecond)` |
//! | `Utf8` | string | `Utf8` |
//! | `Binary` | lowercase hex string | `Binary` |
//! | `Struct` | object | `Struct` |
//! | `Tuple` | array of the fields' values (`[left, right]`) | `Struct` |
//! | `List` | array | `List` |
//!
//! A null is `null` in JSON; a field of a struct that is not visited at all
//! (a TCP option's fields that its kind lacks) is absent from the JSON object
//! and null in Arrow.

use std::net::IpAddr;

pub mod connection;
pub mod json;
pub mod report;
pub mod segment;

/// The type of a column (see the module doc for its JSON and Arrow forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Type {
    /// `true` or `false`.
    Bool,
    /// Unsigned 8-bit integer.
    UInt8,
    /// Unsigned 16-bit integer.
    UInt16,
    /// Unsigned 32-bit integer.
    UInt32,
    /// Unsigned 64-bit integer.
    UInt64,
    /// Signed 64-bit integer.
    Int64,
    /// 64-bit float.
    Float64,
    /// An instant: nanoseconds since the Unix epoch, UTC.
    Timestamp,
    /// A span of time in nanoseconds.
    Duration,
    /// A string.
    Utf8,
    /// Bytes.
    Binary,
    /// Named fields.
    Struct(&'static [&'static Field]),
    /// Fields written as a JSON array in this order, a struct in Arrow.
    Tuple(&'static [&'static Field]),
    /// A list of values of the item field.
    List(&'static Field),
}

/// One column (or one field of a nested struct, or a list's item). Fields
/// are declared by this module's row types (statics: a field is known by its
/// address).
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    /// The JSON key and the Arrow field name.
    pub name: &'static str,
    /// The type.
    pub ty: Type,
    /// May be null (or absent).
    pub nullable: bool,
    /// What it means.
    pub doc: &'static str,
    /// What the JSON writer puts before a value of this field: `,"name":`,
    /// or `,` alone for a value in an array (a list's item, named `item`, or
    /// a tuple's field, declared with `@in_array`).
    pub(crate) json_key: &'static str,
    /// `json_key` zero-padded to [`KEY_BLOCK`] bytes (its first ones if
    /// longer): the JSON writer copies it as one fixed-size block.
    pub(crate) json_key_block: [u8; KEY_BLOCK],
}

/// The size of [`Field::json_key_block`]: keys (with their comma) up to
/// this long are written as one block.
pub(crate) const KEY_BLOCK: usize = 32;

/// `key` zero-padded (or cut) to [`KEY_BLOCK`] bytes.
pub(crate) const fn key_block(key: &str) -> [u8; KEY_BLOCK] {
    let bytes = key.as_bytes();
    let mut block = [0u8; KEY_BLOCK];
    let mut i = 0;
    while i < bytes.len() && i < KEY_BLOCK {
        block[i] = bytes[i];
        i += 1;
    }
    block
}

impl Field {
    /// The fields of a `Struct` or `Tuple` (empty for other types).
    pub fn children(&self) -> &'static [&'static Field] {
        match self.ty {
            Type::Struct(f) | Type::Tuple(f) => f,
            _ => &[],
        }
    }
}

/// [`Field::json_key`] of a field named `name` whose key is `key`
/// (`,"name":`): `,` alone for a list's item.
pub(crate) const fn json_key(name: &str, key: &'static str) -> &'static str {
    let (name, item) = (name.as_bytes(), b"item");
    if name.len() != item.len() {
        return key;
    }
    let mut i = 0;
    while i < name.len() {
        if name[i] != item[i] {
            return key;
        }
        i += 1;
    }
    ","
}

/// Declares one `pub static` field: `IDENT: "name", Type, nullable, "doc"`
/// (`@in_array IDENT: ...` for a field of a tuple, written in an array).
macro_rules! field {
    ($(#[$meta:meta])* $id:ident: $name:literal, $ty:expr, $null:literal, $doc:literal) => {
        $crate::schema::field! { @key $crate::schema::json_key($name, concat!(",\"", $name, "\":"));
            $(#[$meta])* $id: $name, $ty, $null, $doc }
    };
    (@in_array $(#[$meta:meta])* $id:ident: $name:literal, $ty:expr, $null:literal, $doc:literal) => {
        $crate::schema::field! { @key ","; $(#[$meta])* $id: $name, $ty, $null, $doc }
    };
    (@key $key:expr; $(#[$meta:meta])* $id:ident: $name:literal, $ty:expr, $null:literal, $doc:literal) => {
        $(#[$meta])*
        pub static $id: $crate::schema::Field = $crate::schema::Field {
            name: $name,
            ty: $ty,
            nullable: $null,
            doc: $doc,
            json_key: $key,
            json_key_block: $crate::schema::key_block($key),
        };
    };
}
pub(crate) use field;

/// Declares `pub static` fields and a `pub static` list of them, in order:
/// `LIST = [IDENT: "name", Type, nullable, "doc"; ...]` (`@in_array LIST =
/// ...` for the fields of a tuple).
macro_rules! fields {
    (@in_array $(#[$meta:meta])* $list:ident = [$($id:ident: $name:literal, $ty:expr, $null:literal, $doc:literal;)*]) => {
        $(
            $crate::schema::field! {
                @in_array
                #[doc = concat!("`", $name, "`: ", $doc)]
                $id: $name, $ty, $null, $doc
            }
        )*
        $(#[$meta])*
        pub static $list: [&$crate::schema::Field; [$(stringify!($id)),*].len()] = [$(&$id),*];
    };
    ($(#[$meta:meta])* $list:ident = [$($id:ident: $name:literal, $ty:expr, $null:literal, $doc:literal;)*]) => {
        $(
            $crate::schema::field! {
                #[doc = concat!("`", $name, "`: ", $doc)]
                $id: $name, $ty, $null, $doc
            }
        )*
        $(#[$meta])*
        pub static $list: [&$crate::schema::Field; [$(stringify!($id)),*].len()] = [$(&$id),*];
    };
}
pub(crate) use fields;

/// Receives the values of one row, field by field, in declaration order.
///
/// `begin(f)` opens a `Struct`, `Tuple` or `List` field (and the row itself,
/// with its row field, e.g. [`segment::SEGMENT`]), `end()` closes the last
/// one opened. Inside a list, the item field is passed for each value. A
/// nullable field may be given `null`; a struct's fields may be skipped
/// (absent). Which method carries which [`Type`]: `u64` for the unsigned
/// integers and `Duration`, `i64` for `Int64`, `Timestamp` and `Duration`,
/// `str`/`addr` for `Utf8`, `bytes` for `Binary`.
pub trait Sink {
    /// A null value.
    fn null(&mut self, f: &'static Field);
    /// A boolean.
    fn bool(&mut self, f: &'static Field, v: bool);
    /// An unsigned integer (or a duration in ns).
    fn u64(&mut self, f: &'static Field, v: u64);
    /// A signed integer, an instant or a duration (ns).
    fn i64(&mut self, f: &'static Field, v: i64);
    /// A float.
    fn f64(&mut self, f: &'static Field, v: f64);
    /// A string.
    fn str(&mut self, f: &'static Field, v: &str);
    /// An IP address as a string (as tcpdump writes it; no allocation).
    fn addr(&mut self, f: &'static Field, v: &IpAddr);
    /// Bytes.
    fn bytes(&mut self, f: &'static Field, v: &[u8]);
    /// Opens a struct, tuple or list field.
    fn begin(&mut self, f: &'static Field);
    /// Closes the field opened last.
    fn end(&mut self);

    /// `v` or null.
    #[inline(always)]
    fn opt_u64(&mut self, f: &'static Field, v: Option<u64>) {
        match v {
            Some(v) => self.u64(f, v),
            None => self.null(f),
        }
    }
    /// `v` or null.
    #[inline(always)]
    fn opt_i64(&mut self, f: &'static Field, v: Option<i64>) {
        match v {
            Some(v) => self.i64(f, v),
            None => self.null(f),
        }
    }
    /// `v` or null.
    #[inline(always)]
    fn opt_f64(&mut self, f: &'static Field, v: Option<f64>) {
        match v {
            Some(v) => self.f64(f, v),
            None => self.null(f),
        }
    }
    /// `v` or null.
    #[inline(always)]
    fn opt_str(&mut self, f: &'static Field, v: Option<&str>) {
        match v {
            Some(v) => self.str(f, v),
            None => self.null(f),
        }
    }
}

/// Every field reachable from `fields` (depth first, a list's item as
/// `name.item`), with its path (`options.item.blocks.item.left`): for
/// documentation and tests.
pub fn walk(fields: &'static [&'static Field], mut each: impl FnMut(&str, &'static Field)) {
    fn go(path: String, f: &'static Field, each: &mut dyn FnMut(&str, &'static Field)) {
        each(&path, f);
        match f.ty {
            Type::Struct(c) | Type::Tuple(c) => {
                for c in c {
                    go(format!("{path}.{}", c.name), c, each);
                }
            }
            Type::List(item) => go(format!("{path}.{}", item.name), item, each),
            _ => {}
        }
    }
    for f in fields {
        go(f.name.to_owned(), f, &mut each);
    }
}

#[cfg(test)]
mod tests {
    use super::{Field, Type, connection, report, segment};

    /// Checks `f`'s children: a struct's are written with their key, a
    /// tuple's and a list's item with a comma alone (JSON arrays).
    fn check_keys(f: &'static Field) {
        let in_array: &[&Field] = match f.ty {
            Type::Tuple(c) => c,
            Type::List(item) => &[item][..],
            _ => &[],
        };
        for c in in_array {
            assert_eq!(c.json_key, ",", "{}.{}", f.name, c.name);
        }
        if let Type::Struct(c) = f.ty {
            for c in c {
                assert_eq!(
                    c.json_key,
                    format!(",\"{}\":", c.name),
                    "{}.{}",
                    f.name,
                    c.name
                );
            }
        }
        for c in f.children().iter().chain(in_array) {
            check_keys(c);
        }
    }

    #[test]
    fn json_keys_follow_the_containers() {
        for row in [&segment::SEGMENT, &connection::CONNECTION, &report::REPORT] {
            check_keys(row);
        }
    }
}
