use super::*;
use crate::schema::{Sink, field, segment};

field! {
    /// A field of no row type.
    STRAY: "stray", Type::UInt64, true, "Declared nowhere."
}

#[test]
fn schema_types() {
    let s = segment_schema();
    let ts = s.field_with_name("ts_ns").unwrap();
    assert_eq!(
        ts.data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    );
    assert!(!ts.is_nullable());
    let rtt = s.field_with_name("ack_rtt").unwrap();
    assert_eq!(rtt.data_type(), &DataType::Duration(TimeUnit::Nanosecond));
    assert!(rtt.is_nullable());
    assert_eq!(
        rtt.metadata().get("doc").map(String::as_str),
        Some(segment::ACK_RTT.doc)
    );
    let DataType::List(item) = s.field_with_name("options").unwrap().data_type() else {
        panic!("options is a list");
    };
    let DataType::Struct(fields) = item.data_type() else {
        panic!("an option is a struct");
    };
    assert_eq!(fields[0].name(), "kind");
    assert_eq!(s.fields().len(), segment::COLUMNS.len());
}

/// A field visited that the row does not declare there is an error, not a
/// silently shifted column.
#[test]
fn undeclared_field_is_an_error() {
    let mut b = RowBuilder::new(&segment::SEGMENT, 4);
    b.begin(&segment::SEGMENT);
    b.u64(&STRAY, 1);
    b.end();
    let e = b.finish().unwrap_err().to_string();
    assert!(e.contains("stray"), "{e}");
    // The builder starts afresh after the error.
    assert!(b.finish().is_ok());
}

/// A value of another type, or out of the declared range, is an error.
#[test]
fn mistyped_value_is_an_error() {
    for bad in [
        |b: &mut RowBuilder| b.str(&segment::FRAME, "1"),
        |b: &mut RowBuilder| b.u64(&segment::SPORT, 70_000),
        |b: &mut RowBuilder| b.null(&segment::CONN),
    ] {
        let mut b = RowBuilder::new(&segment::SEGMENT, 4);
        b.begin(&segment::SEGMENT);
        bad(&mut b);
        b.end();
        assert!(b.finish().is_err());
    }
}

/// Fields not visited are null (and a non-nullable one makes the batch fail).
#[test]
fn missing_required_field_fails_the_batch() {
    let mut b = RowBuilder::new(&segment::SEGMENT, 4);
    b.begin(&segment::SEGMENT);
    b.u64(&segment::FRAME, 1);
    b.end();
    assert!(b.finish().is_err());
}

/// A batch is due at `batch_size` rows, or early once a string column's
/// bytes or a list's items pass the room left for Arrow's 32-bit offsets
/// (looked at every `every` rows), so that a batch of a whole capture
/// never overflows them.
#[test]
fn batch_is_due_before_offsets_overflow() {
    let mut b = RowBuilder::new(&segment::SEGMENT, 4);
    for _ in 0..4 {
        b.begin(&segment::SEGMENT);
        b.str(&segment::FLAGS, "S."); // 2 bytes a row
        b.begin(&segment::ANALYSIS);
        for name in ["retransmission", "window_full", "zero_window"] {
            b.str(&segment::ANALYSIS_ITEM, name); // 3 items a row
        }
        b.end();
        b.end();
    }
    // 4 rows: 8 bytes of flags, 12 analysis items, 4 x (14 + 11 + 11) =
    // 144 bytes of names.
    assert!(!b.due(usize::MAX, 4, 200), "nothing past 200");
    assert!(!b.due(5, 1, 200), "4 rows: a batch of 5 is not due");
    assert!(b.due(4, 1, 200), "4 rows: a batch of 4 is");
    assert!(b.due(usize::MAX, 4, 143), "144 bytes of names pass 143");
    assert!(
        !b.due(usize::MAX, 3, 143),
        "looked at every 3 rows: not at the 4th"
    );
    assert!(!b.due(usize::MAX, 4, 144), "at the room is not past it");
    // The flags' 8 bytes and the list's 12 items pass 11 as the names do.
    let mut items = RowBuilder::new(&segment::SEGMENT, 4);
    for _ in 0..4 {
        items.begin(&segment::SEGMENT);
        items.begin(&segment::ANALYSIS);
        for _ in 0..3 {
            items.str(&segment::ANALYSIS_ITEM, "");
        }
        items.end();
        items.end();
    }
    assert!(items.due(usize::MAX, 4, 11), "12 empty items pass 11");
    assert!(!items.due(usize::MAX, 4, 12));
}
