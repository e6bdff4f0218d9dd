//! Column builders driven by a row type's `visit` (an Arrow [`Sink`]).
//!
//! The columns of a row type's whole tree (the row's fields, a struct's
//! fields, a list's item, ...) are laid out once from its declarations in one
//! flat arena, each container's fields side by side, and addressed by index:
//! a visited field is found by comparing its declaration with the one where
//! the open container expects the next field. Values go straight into typed
//! buffers (`Vec<T>`, offsets and bytes, bits). A field not visited (absent,
//! or given `null` inside a struct) writes nothing: its column falls behind
//! its struct and is brought up to it with nulls when its next value comes or
//! at [`RowBuilder::finish`]; a column of nulls only is never filled at all.

use super::{SchemaRef, arrow_field, arrow_fields, data_type, schema_of};
use crate::analysis::SegmentFacts;
use crate::schema::{self, Field, Sink, Type};
use crate::wire::{AddrText, Segment, addr_text};
use arrow_array::types::{
    DurationNanosecondType, Float64Type, Int64Type, TimestampNanosecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BinaryArray, BooleanArray, ListArray, PrimitiveArray,
    RecordBatch, StringArray, StructArray, new_empty_array,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, FieldRef, Fields, TimeUnit};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// How deep rows nest (as the JSON sink).
const MAX_DEPTH: usize = 8;

/// Bytes (of a string or binary column) or items (of a list) after which a
/// batch ends early ([`RowBuilder::full`]): half of what Arrow's 32-bit
/// offsets address.
const OFFSET_ROOM: usize = 1 << 30;

/// Bits, least significant first (a validity bitmap, or boolean values).
#[derive(Debug, Default)]
struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    fn with_capacity(bits: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bits.div_ceil(8)),
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, v: bool) {
        let bit = self.len % 8;
        if bit == 0 {
            self.bytes.push(0);
        }
        if v && let Some(b) = self.bytes.last_mut() {
            *b |= 1 << bit;
        }
        self.len += 1;
    }

    /// `n` bits of `v`: the rest of the open byte with a mask, then whole
    /// bytes (the last one's unused high bits stay 0 unless `v`: they are
    /// past `len`, never read, and set again or kept by the next pushes).
    fn push_n(&mut self, v: bool, n: usize) {
        if n == 0 {
            return;
        }
        let used = self.len % 8;
        if used != 0
            && v
            && let Some(b) = self.bytes.last_mut()
        {
            *b |= 0xff << used;
        }
        let end = self.len + n;
        self.bytes.resize(end.div_ceil(8), if v { 0xff } else { 0 });
        self.len = end;
        // Clear the bits past the end: `push` only sets bits.
        let tail = end % 8;
        if tail != 0
            && v
            && let Some(b) = self.bytes.last_mut()
        {
            *b &= (1u8 << tail) - 1;
        }
    }

    /// The bits as a buffer; left empty with room for `next` bits.
    fn finish(&mut self, next: usize) -> BooleanBuffer {
        let len = std::mem::take(&mut self.len);
        let bytes = std::mem::replace(&mut self.bytes, Vec::with_capacity(next.div_ceil(8)));
        BooleanBuffer::new(Buffer::from_vec(bytes), 0, len)
    }
}

/// Strings or bytes: Arrow's offsets and values.
#[derive(Debug)]
struct Bytes {
    offsets: Vec<i32>,
    values: Vec<u8>,
}

impl Bytes {
    fn with_capacity(len: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(len + 1);
        offsets.push(0);
        Self {
            offsets,
            values: Vec::with_capacity(bytes),
        }
    }

    /// Appends `v`; false if the values would pass Arrow's 2 GiB.
    #[inline]
    fn push(&mut self, v: &[u8]) -> bool {
        self.values.extend_from_slice(v);
        match i32::try_from(self.values.len()) {
            Ok(end) => {
                self.offsets.push(end);
                true
            }
            Err(_) => false,
        }
    }

    /// `n` empty values (under nulls).
    fn push_empty(&mut self, n: usize) {
        let end = self.offsets.last().copied().unwrap_or_default();
        self.offsets.resize(self.offsets.len() + n, end);
    }

    /// The offsets and values; left empty with room for `next` values of
    /// this batch's mean size, an eighth more.
    fn finish(&mut self, next: usize) -> (OffsetBuffer<i32>, Buffer) {
        let count = self.offsets.len().saturating_sub(1);
        let per = self.values.len().div_ceil(count.max(1)).max(1);
        let want = per.saturating_mul(next);
        let fresh = Self::with_capacity(next, want.saturating_add(want / 8));
        let Self { offsets, values } = std::mem::replace(self, fresh);
        (
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Buffer::from_vec(values),
        )
    }
}

/// The values of one column, by type.
#[derive(Debug)]
enum Values {
    Bool(Bits),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F64(Vec<f64>),
    Ts(Vec<i64>),
    Dur(Vec<i64>),
    Utf8(Bytes),
    Binary(Bytes),
    /// The fields are the columns `first..end` of the arena.
    Struct {
        first: usize,
        end: usize,
        fields: Fields,
    },
    /// The item is the column `item` of the arena.
    List {
        item: usize,
        offsets: Vec<i32>,
        field: FieldRef,
    },
}

impl Values {
    /// Empty values of type `ty`, with room for `cap`; containers point
    /// nowhere until laid out.
    fn new(ty: Type, cap: usize) -> Self {
        match ty {
            Type::Bool => Self::Bool(Bits::with_capacity(cap)),
            Type::UInt8 => Self::U8(Vec::with_capacity(cap)),
            Type::UInt16 => Self::U16(Vec::with_capacity(cap)),
            Type::UInt32 => Self::U32(Vec::with_capacity(cap)),
            Type::UInt64 => Self::U64(Vec::with_capacity(cap)),
            Type::Int64 => Self::I64(Vec::with_capacity(cap)),
            Type::Float64 => Self::F64(Vec::with_capacity(cap)),
            Type::Timestamp => Self::Ts(Vec::with_capacity(cap)),
            Type::Duration => Self::Dur(Vec::with_capacity(cap)),
            Type::Utf8 => Self::Utf8(Bytes::with_capacity(cap, cap * 8)),
            Type::Binary => Self::Binary(Bytes::with_capacity(cap, cap * 4)),
            Type::Struct(decl) | Type::Tuple(decl) => Self::Struct {
                first: 0,
                end: 0,
                fields: arrow_fields(decl),
            },
            Type::List(item) => {
                let mut offsets = Vec::with_capacity(cap + 1);
                offsets.push(0);
                Self::List {
                    item: 0,
                    offsets,
                    field: Arc::new(arrow_field(item)),
                }
            }
        }
    }
}

/// One column of the arena.
#[derive(Debug)]
struct Column {
    /// Its declaration (a visited field is recognised by its address).
    decl: &'static Field,
    /// Its Arrow type.
    data_type: DataType,
    /// Below a list (its length varies with the items, not the rows).
    in_list: bool,
    /// Values held (nulls brought up included): behind its struct while
    /// fields are absent.
    len: usize,
    /// Validity, from the first null on (`None`: every value valid): of
    /// the values up to its last null, those after it valid (written at the
    /// next null or at the end of the batch, not bit by bit).
    nulls: Option<Bits>,
    /// The values expected in this batch (room for validity bits).
    expected: usize,
    values: Values,
}

impl Column {
    fn new(decl: &'static Field, in_list: bool, cap: usize) -> Self {
        Self {
            decl,
            data_type: data_type(decl.ty),
            in_list,
            len: 0,
            nulls: None,
            expected: cap,
            values: Values::new(decl.ty, cap),
        }
    }

    /// One value appended (valid: see [`Column::nulls`]).
    #[inline(always)]
    fn pushed(&mut self) {
        self.len += 1;
    }

    /// Brings the column up to `row` values with nulls (false: it is past
    /// it, a field visited twice).
    #[inline(never)]
    fn bring_up(&mut self, row: usize) -> bool {
        match row.checked_sub(self.len) {
            Some(n) => {
                self.push_nulls(n);
                true
            }
            None => false,
        }
    }

    /// Appends `n` nulls (a struct's fields are brought up when written).
    fn push_nulls(&mut self, n: usize) {
        fn zeros<T: Default + Clone>(v: &mut Vec<T>, n: usize) {
            v.resize(v.len() + n, T::default());
        }
        match &mut self.values {
            Values::Bool(b) => b.push_n(false, n),
            Values::U8(v) => zeros(v, n),
            Values::U16(v) => zeros(v, n),
            Values::U32(v) => zeros(v, n),
            Values::U64(v) => zeros(v, n),
            Values::I64(v) | Values::Ts(v) | Values::Dur(v) => zeros(v, n),
            Values::F64(v) => zeros(v, n),
            Values::Utf8(b) | Values::Binary(b) => b.push_empty(n),
            Values::Struct { .. } => {}
            Values::List { offsets, .. } => {
                let end = offsets.last().copied().unwrap_or_default();
                offsets.resize(offsets.len() + n, end);
            }
        }
        let (len, expected) = (self.len, self.expected);
        let nulls = self
            .nulls
            .get_or_insert_with(|| Bits::with_capacity(expected.max(len + n)));
        // The values since the last null, valid; then these.
        nulls.push_n(true, len - nulls.len);
        nulls.push_n(false, n);
        self.len += n;
    }

    /// Appends an unsigned integer (or a duration) to this column of type
    /// `ty` (its declared type: constant where the visit is inlined, so one
    /// arm is left); false if the column is of another type or `v` out of
    /// its range.
    #[inline(always)]
    fn put_u64(&mut self, ty: Type, v: u64) -> bool {
        let ok = match (ty, &mut self.values) {
            (Type::UInt8, Values::U8(b)) => u8::try_from(v).map(|v| b.push(v)).is_ok(),
            (Type::UInt16, Values::U16(b)) => u16::try_from(v).map(|v| b.push(v)).is_ok(),
            (Type::UInt32, Values::U32(b)) => u32::try_from(v).map(|v| b.push(v)).is_ok(),
            (Type::UInt64, Values::U64(b)) => {
                b.push(v);
                true
            }
            (Type::Duration, Values::Dur(b)) => i64::try_from(v).map(|v| b.push(v)).is_ok(),
            _ => false,
        };
        if ok {
            self.pushed();
        }
        ok
    }

    /// Appends a signed integer, an instant or a duration.
    #[inline(always)]
    fn put_i64(&mut self, v: i64) -> bool {
        match &mut self.values {
            Values::I64(b) | Values::Ts(b) | Values::Dur(b) => b.push(v),
            _ => return false,
        }
        self.pushed();
        true
    }

    #[inline(always)]
    fn put_f64(&mut self, v: f64) -> bool {
        match &mut self.values {
            Values::F64(b) => b.push(v),
            _ => return false,
        }
        self.pushed();
        true
    }

    #[inline(always)]
    fn put_bool(&mut self, v: bool) -> bool {
        match &mut self.values {
            Values::Bool(b) => b.push(v),
            _ => return false,
        }
        self.pushed();
        true
    }

    /// Appends a string (`utf8`) or bytes.
    #[inline(always)]
    fn put_bytes(&mut self, v: &[u8], utf8: bool) -> bool {
        let ok = match &mut self.values {
            Values::Utf8(b) if utf8 => b.push(v),
            Values::Binary(b) if !utf8 => b.push(v),
            _ => false,
        };
        if ok {
            self.pushed();
        }
        ok
    }
}

/// Where fields are being visited: the container open, and where in it
/// the next field is expected.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    /// The container's column.
    open: usize,
    /// The container's fields (a list: its item) are the columns `first..end`.
    first: usize,
    end: usize,
    /// The column the next field is expected in.
    cursor: usize,
    /// The container is a list (its item is visited again and again).
    list: bool,
    /// A struct's index of the value being visited: what its fields are
    /// brought up to before a value is written.
    row: usize,
}

/// The columns of a row type's tree, laid out once from its declarations;
/// the row itself is column 0.
#[derive(Debug)]
struct Arena {
    cols: Vec<Column>,
    /// Shared by the columns of nulls only of every batch.
    zeros: Zeros,
}

impl Arena {
    fn new(row: &'static Field, cap: usize) -> Self {
        let mut arena = Self {
            cols: vec![Column::new(row, false, cap)],
            zeros: Zeros::default(),
        };
        arena.lay_out(0, cap);
        arena
    }

    /// Lays out the fields (or item) of column `i`, then theirs.
    fn lay_out(&mut self, i: usize, cap: usize) {
        let Some(c) = self.cols.get(i) else { return };
        let in_list = c.in_list;
        match c.decl.ty {
            Type::Struct(decl) | Type::Tuple(decl) => {
                let first = self.cols.len();
                self.cols
                    .extend(decl.iter().map(|f| Column::new(f, in_list, cap)));
                let end = self.cols.len();
                if let Some(Values::Struct {
                    first: f, end: e, ..
                }) = self.cols.get_mut(i).map(|c| &mut c.values)
                {
                    (*f, *e) = (first, end);
                }
                for k in first..end {
                    self.lay_out(k, cap);
                }
            }
            Type::List(item) => {
                let k = self.cols.len();
                self.cols.push(Column::new(item, true, cap));
                if let Some(Values::List { item, .. }) = self.cols.get_mut(i).map(|c| &mut c.values)
                {
                    *item = k;
                }
                self.lay_out(k, cap);
            }
            _ => {}
        }
    }

    /// The frame of column `i` opened (a struct or a list), or `None`.
    fn frame(&self, i: usize) -> Option<Frame> {
        let c = self.cols.get(i)?;
        match c.values {
            Values::Struct { first, end, .. } => Some(Frame {
                open: i,
                first,
                end,
                cursor: first,
                list: false,
                row: c.len,
            }),
            Values::List { item, .. } => Some(Frame {
                open: i,
                first: item,
                end: item + 1,
                cursor: item,
                list: true,
                row: 0,
            }),
            _ => None,
        }
    }

    /// The root's fields' arrays, each brought up to `len` rows; every
    /// column is left empty with room for its next batch (as long as this
    /// one).
    fn finish_fields(&mut self, len: usize) -> Vec<ArrayRef> {
        let (first, end) = match self.cols.first().map(|c| &c.values) {
            Some(Values::Struct { first, end, .. }) => (*first, *end),
            _ => (0, 0),
        };
        if let Some(root) = self.cols.first_mut() {
            root.len = 0;
            root.nulls = None;
        }
        (first..end).map(|k| self.finish(k, Some(len))).collect()
    }

    /// Column `i`'s array, brought up to `len` values (a field of a struct
    /// that long; `None` for a list's item). A column of nulls only becomes
    /// an array over the shared [`Zeros`]: its own buffers are not kept.
    fn finish(&mut self, i: usize, len: Option<usize>) -> ArrayRef {
        let array = self.finish_built(i, len);
        if array.is_empty() || array.null_count() < array.len() {
            return array;
        }
        self.zeros
            .null_array(array.data_type(), array.len())
            .unwrap_or(array)
    }

    /// [`Self::finish`] with the column's own buffers (if it has a value).
    fn finish_built(&mut self, i: usize, len: Option<usize>) -> ArrayRef {
        let Some(c) = self.cols.get_mut(i) else {
            return new_empty_array(&DataType::Null);
        };
        let len = len.unwrap_or(c.len);
        if c.len == 0 && len > 0 && !matches!(c.values, Values::Struct { .. }) {
            // Nothing written: nulls only, never filled.
            if let Some(a) = self.zeros.null_array(&c.data_type, len) {
                return a;
            }
        }
        if c.len < len {
            c.push_nulls(len - c.len);
        }
        // Room for the next batch: as many values as this one (an eighth
        // more below a list, whose length varies).
        let next = if c.in_list { len + len / 8 } else { len };
        c.expected = next;
        let len = std::mem::take(&mut c.len);
        let nulls = c.nulls.take().map(|mut b| {
            b.push_n(true, len - b.len);
            NullBuffer::new(b.finish(0))
        });
        fn primitive<T: ArrowPrimitiveType>(
            v: &mut Vec<T::Native>,
            next: usize,
            nulls: Option<NullBuffer>,
        ) -> Result<PrimitiveArray<T>, ArrowError> {
            let v = std::mem::replace(v, Vec::with_capacity(next));
            PrimitiveArray::<T>::try_new(ScalarBuffer::from(v), nulls)
        }
        let data_type = c.data_type.clone();
        let built: Result<ArrayRef, ArrowError> = match &mut c.values {
            Values::Bool(b) => Ok(Arc::new(BooleanArray::new(b.finish(next), nulls))),
            Values::U8(v) => primitive::<UInt8Type>(v, next, nulls).map(|a| Arc::new(a) as _),
            Values::U16(v) => primitive::<UInt16Type>(v, next, nulls).map(|a| Arc::new(a) as _),
            Values::U32(v) => primitive::<UInt32Type>(v, next, nulls).map(|a| Arc::new(a) as _),
            Values::U64(v) => primitive::<UInt64Type>(v, next, nulls).map(|a| Arc::new(a) as _),
            Values::I64(v) => primitive::<Int64Type>(v, next, nulls).map(|a| Arc::new(a) as _),
            Values::F64(v) => primitive::<Float64Type>(v, next, nulls).map(|a| Arc::new(a) as _),
            Values::Ts(v) => primitive::<TimestampNanosecondType>(v, next, nulls)
                .map(|a| Arc::new(a.with_timezone("UTC")) as _),
            Values::Dur(v) => {
                primitive::<DurationNanosecondType>(v, next, nulls).map(|a| Arc::new(a) as _)
            }
            Values::Utf8(b) => {
                let (offsets, values) = b.finish(next);
                StringArray::try_new(offsets, values, nulls).map(|a| Arc::new(a) as _)
            }
            Values::Binary(b) => {
                let (offsets, values) = b.finish(next);
                BinaryArray::try_new(offsets, values, nulls).map(|a| Arc::new(a) as _)
            }
            Values::Struct { first, end, fields } => {
                let (first, end, fields) = (*first, *end, fields.clone());
                let children = (first..end).map(|k| self.finish(k, Some(len))).collect();
                StructArray::try_new_with_length(fields, children, nulls, len)
                    .map(|a| Arc::new(a) as _)
            }
            Values::List {
                item,
                offsets,
                field,
            } => {
                let (item, field) = (*item, field.clone());
                let mut fresh = Vec::with_capacity(next + 1);
                fresh.push(0);
                let offsets =
                    OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, fresh)));
                let items = self.finish(item, None);
                ListArray::try_new(field, offsets, items, nulls).map(|a| Arc::new(a) as _)
            }
        };
        // Built from the declarations, the arrays match their fields; an
        // error here is a bug (a visit that wrote a field twice, or left a
        // required one out), caught by the tests: nulls of the right type
        // and length rather than a panic (the batch then fails).
        built.unwrap_or_else(|_| arrow_array::new_null_array(&data_type, len))
    }

    /// Empties every column (after an error: what was built may be ragged).
    fn clear(&mut self) {
        for c in &mut self.cols {
            c.len = 0;
            c.nulls = None;
            c.values = match std::mem::replace(&mut c.values, Values::Bool(Bits::default())) {
                v @ Values::Struct { .. } => v,
                Values::List {
                    item,
                    mut offsets,
                    field,
                } => {
                    offsets.clear();
                    offsets.push(0);
                    Values::List {
                        item,
                        offsets,
                        field,
                    }
                }
                _ => Values::new(c.decl.ty, 0),
            };
        }
    }
}

/// Zero bytes shared by the columns of nulls only of every batch
/// ([`Arena::finish`]): the values, offsets and validity of such a column are
/// all zeros, which one buffer can hold for all of them. The arrays made
/// over it are kept, one a type, and handed out as slices.
#[derive(Debug, Default)]
struct Zeros {
    buffer: Buffer,
    made: Vec<ArrayRef>,
}

impl Zeros {
    /// At least `bytes` zero bytes: this buffer, or a longer one from now on
    /// (the arrays made earlier keep theirs). Made of `u64`s (8-byte
    /// alignment, as the widest values here need) so that the allocator's
    /// `calloc` gives pages the system zeroes when first read: Arrow's own
    /// 64-byte-aligned zeroed buffers are written with zeros byte by byte,
    /// all of them resident (160 MiB on the benchmark capture's segments
    /// built as one batch).
    fn at_least(&mut self, bytes: usize) -> Buffer {
        if self.buffer.len() < bytes {
            let words = bytes.next_power_of_two().div_ceil(8);
            self.buffer = Buffer::from_vec(vec![0u64; words]);
        }
        self.buffer.clone()
    }

    /// `len` nulls of type `ty` over the shared zeros: a slice of the array
    /// made for the type, made anew (longer) when it is too short; `None`
    /// for a type not handled here (structs).
    fn null_array(&mut self, ty: &DataType, len: usize) -> Option<ArrayRef> {
        if let Some(a) = self
            .made
            .iter()
            .find(|a| a.len() >= len && a.data_type() == ty)
        {
            return Some(a.slice(0, len));
        }
        let a = self.make_null_array(ty, len.checked_next_power_of_two()?)?;
        self.made.retain(|m| m.data_type() != ty);
        self.made.push(a.clone());
        Some(a.slice(0, len))
    }

    /// `len` nulls of type `ty` over the shared zeros, made; `None` for a type
    /// not handled here (structs) or an array the checks refuse.
    fn make_null_array(&mut self, ty: &DataType, len: usize) -> Option<ArrayRef> {
        // Room for the widest values or offsets (8 bytes) of `len + 1` slots.
        let zeros = self.at_least(len.checked_add(1)?.checked_mul(8)?);
        let nulls = Some(NullBuffer::new(BooleanBuffer::new(zeros.clone(), 0, len)));
        fn primitive<T: ArrowPrimitiveType>(
            zeros: &Buffer,
            len: usize,
            nulls: Option<NullBuffer>,
        ) -> Option<PrimitiveArray<T>> {
            PrimitiveArray::<T>::try_new(ScalarBuffer::new(zeros.clone(), 0, len), nulls).ok()
        }
        let offsets = || OffsetBuffer::new(ScalarBuffer::<i32>::new(zeros.clone(), 0, len + 1));
        let array: ArrayRef = match ty {
            DataType::Boolean => Arc::new(BooleanArray::new(
                BooleanBuffer::new(zeros.clone(), 0, len),
                nulls,
            )),
            DataType::UInt8 => Arc::new(primitive::<UInt8Type>(&zeros, len, nulls)?),
            DataType::UInt16 => Arc::new(primitive::<UInt16Type>(&zeros, len, nulls)?),
            DataType::UInt32 => Arc::new(primitive::<UInt32Type>(&zeros, len, nulls)?),
            DataType::UInt64 => Arc::new(primitive::<UInt64Type>(&zeros, len, nulls)?),
            DataType::Int64 => Arc::new(primitive::<Int64Type>(&zeros, len, nulls)?),
            DataType::Float64 => Arc::new(primitive::<Float64Type>(&zeros, len, nulls)?),
            DataType::Timestamp(TimeUnit::Nanosecond, tz) => Arc::new(
                primitive::<TimestampNanosecondType>(&zeros, len, nulls)?
                    .with_timezone_opt(tz.clone()),
            ),
            DataType::Duration(TimeUnit::Nanosecond) => {
                Arc::new(primitive::<DurationNanosecondType>(&zeros, len, nulls)?)
            }
            DataType::Utf8 => Arc::new(
                StringArray::try_new(offsets(), Buffer::from(Vec::<u8>::new()), nulls).ok()?,
            ),
            DataType::Binary => Arc::new(
                BinaryArray::try_new(offsets(), Buffer::from(Vec::<u8>::new()), nulls).ok()?,
            ),
            DataType::List(item) => Arc::new(
                ListArray::try_new(
                    item.clone(),
                    offsets(),
                    new_empty_array(item.data_type()),
                    nulls,
                )
                .ok()?,
            ),
            _ => return None,
        };
        Some(array)
    }
}

/// Rows of one row type built into columns: the Arrow [`Sink`]. A field
/// visited that its row type does not declare there, of another type, or
/// null when not nullable, is an error ([`RowBuilder::finish`] returns it).
#[derive(Debug)]
pub struct RowBuilder {
    row: &'static Field,
    schema: SchemaRef,
    arena: Arena,
    /// Where fields are being visited now (`end == first` outside a row:
    /// nothing is found).
    at: Frame,
    /// The frames of the containers open around `at`.
    stack: [Frame; MAX_DEPTH],
    depth: usize,
    in_row: bool,
    error: Option<String>,
    /// The texts of the last two addresses written ([`RecentAddrs`]).
    addrs: RecentAddrs,
}

/// The texts of the last two addresses written, and which of them was
/// written last: a segment's source and destination are most often those
/// of the segment before (either way round), so most addresses are copied
/// from here rather than written out again.
#[derive(Debug, Clone, Copy)]
struct RecentAddrs {
    addrs: [(IpAddr, AddrText); 2],
    last: usize,
}

impl Default for RecentAddrs {
    fn default() -> Self {
        let none = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        Self {
            addrs: [(none, addr_text(&none)); 2],
            last: 0,
        }
    }
}

impl RecentAddrs {
    /// The text of `a`, kept in place of the address used less recently
    /// when it is neither.
    #[inline(always)]
    fn text(&mut self, a: &IpAddr) -> AddrText {
        let i = match self.addrs.iter().position(|(k, _)| k == a) {
            Some(i) => i,
            None => {
                let i = 1 - self.last;
                if let Some(slot) = self.addrs.get_mut(i) {
                    *slot = (*a, addr_text(a));
                }
                i
            }
        };
        self.last = i;
        self.addrs.get(i).map_or_else(|| addr_text(a), |(_, t)| *t)
    }
}

impl RowBuilder {
    /// Builds rows of `row` (a row field, e.g. [`schema::segment::SEGMENT`]),
    /// with room for `capacity` rows before growing.
    pub fn new(row: &'static Field, capacity: usize) -> Self {
        Self {
            row,
            schema: schema_of(row),
            arena: Arena::new(row, capacity),
            at: Frame::default(),
            stack: [Frame::default(); MAX_DEPTH],
            depth: 0,
            in_row: false,
            error: None,
            addrs: RecentAddrs::default(),
        }
    }

    /// The schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Rows appended since the last batch.
    pub fn len(&self) -> usize {
        self.arena.cols.first().map_or(0, |c| c.len)
    }

    /// No row appended since the last batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A batch is due: `batch_size` rows are waiting, or (looked at every
    /// `every` rows) a column's bytes or list items have passed 1 GiB
    /// (`OFFSET_ROOM`), so that a batch as large as a whole capture (the
    /// in-memory tables of the Python package) never passes the 2 GiB its
    /// 32-bit offsets can address: `every` rows must add far less than the
    /// room left (a segment row at most a few hundred bytes to a column).
    pub fn full(&self, batch_size: usize, every: usize) -> bool {
        self.due(batch_size, every, OFFSET_ROOM)
    }

    /// [`Self::full`] with the room given (tests).
    pub(super) fn due(&self, batch_size: usize, every: usize, room: usize) -> bool {
        let len = self.len();
        len >= batch_size
            || (len.is_multiple_of(every.max(1))
                && self.arena.cols.iter().any(|c| match &c.values {
                    Values::Utf8(b) | Values::Binary(b) => b.values.len() > room,
                    Values::List { offsets, .. } => offsets
                        .last()
                        .is_some_and(|&o| usize::try_from(o).is_ok_and(|o| o > room)),
                    _ => false,
                }))
    }

    /// The rows appended so far as one batch (empty when there are none);
    /// the builder starts afresh. Errors: a visit that did not match the
    /// declarations (a bug).
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.depth = 0;
        self.in_row = false;
        self.at = Frame::default();
        if let Some(e) = self.error.take() {
            // Drop what was built: it may be ragged.
            self.arena.clear();
            return Err(ArrowError::SchemaError(e));
        }
        let cols = self.arena.finish_fields(self.len());
        RecordBatch::try_new(self.schema.clone(), cols)
    }

    #[cold]
    fn fail(&mut self, f: &Field, what: &str) {
        if self.error.is_none() {
            self.error = Some(format!(
                "{}: field `{}` ({:?}): {what}",
                self.row.name, f.name, f.ty
            ));
        }
    }

    /// The column of `f` in the container open now: where it is expected
    /// next, else looked for among the container's fields.
    #[inline(always)]
    fn slot(&mut self, f: &'static Field) -> Option<usize> {
        let at = self.at.cursor;
        let i = match self.arena.cols.get(at) {
            Some(c) if at < self.at.end && std::ptr::eq(c.decl, f) => at,
            _ => self.search(f)?,
        };
        if !self.at.list {
            self.at.cursor = i + 1;
        }
        Some(i)
    }

    /// [`Self::slot`] when `f` is not where expected (a field skipped, or
    /// visited out of order), or not there at all (an error).
    #[cold]
    #[inline(never)]
    fn search(&mut self, f: &'static Field) -> Option<usize> {
        // Fields come in declaration order: after the cursor first.
        let (first, at, end) = (self.at.first, self.at.cursor, self.at.end);
        let found = (at..end).chain(first..at.min(end)).find(|&k| {
            self.arena
                .cols
                .get(k)
                .is_some_and(|c| std::ptr::eq(c.decl, f))
        });
        if found.is_none() {
            self.fail(f, "not declared in the container open now");
        }
        found
    }

    /// The index of `f`'s column, brought up to the struct value being
    /// visited (nulls for the values it was absent from).
    #[inline(always)]
    fn column_index(&mut self, f: &'static Field) -> Option<usize> {
        let i = self.slot(f)?;
        let (list, row) = (self.at.list, self.at.row);
        let brought_up = match self.arena.cols.get_mut(i) {
            Some(c) => list || c.len == row || c.bring_up(row),
            None => false,
        };
        if !brought_up {
            self.fail(f, "visited twice in one value");
            return None;
        }
        Some(i)
    }

    /// Appends a value to `f`'s column (brought up first) with `put`
    /// (false: wrong type or out of range).
    #[inline(always)]
    fn put(&mut self, f: &'static Field, put: impl FnOnce(&mut Column) -> bool) {
        let Some(i) = self.slot(f) else { return };
        let (list, row) = (self.at.list, self.at.row);
        let ok = match self.arena.cols.get_mut(i) {
            Some(c) => (list || c.len == row || c.bring_up(row)) && put(c),
            None => false,
        };
        if !ok {
            self.fail(
                f,
                "visited twice, or a value of another type or out of its range",
            );
        }
    }
}

impl Sink for RowBuilder {
    #[inline(always)]
    fn null(&mut self, f: &'static Field) {
        if !f.nullable {
            self.fail(f, "null but not nullable");
        }
        if self.at.list {
            // A list's item has no struct to be brought up to.
            self.put(f, |c| {
                c.push_nulls(1);
                true
            });
        } else {
            // Left behind: brought up with nulls when next written.
            let _ = self.slot(f);
        }
    }

    #[inline(always)]
    fn bool(&mut self, f: &'static Field, v: bool) {
        self.put(f, |c| c.put_bool(v));
    }

    #[inline(always)]
    fn u64(&mut self, f: &'static Field, v: u64) {
        self.put(f, |c| c.put_u64(f.ty, v));
    }

    #[inline(always)]
    fn i64(&mut self, f: &'static Field, v: i64) {
        self.put(f, |c| c.put_i64(v));
    }

    #[inline(always)]
    fn f64(&mut self, f: &'static Field, v: f64) {
        self.put(f, |c| c.put_f64(v));
    }

    #[inline(always)]
    fn str(&mut self, f: &'static Field, v: &str) {
        self.put(f, |c| c.put_bytes(v.as_bytes(), true));
    }

    #[inline(always)]
    fn addr(&mut self, f: &'static Field, v: &IpAddr) {
        // Digits, dots, colons and hex letters: ASCII, as the column needs.
        let text = self.addrs.text(v);
        self.put(f, |c| c.put_bytes(text.as_bytes(), true));
    }

    #[inline(always)]
    fn bytes(&mut self, f: &'static Field, v: &[u8]) {
        self.put(f, |c| c.put_bytes(v, false));
    }

    #[inline(always)]
    fn begin(&mut self, f: &'static Field) {
        if !self.in_row {
            if std::ptr::eq(f, self.row) {
                self.in_row = true;
                self.depth = 0;
                if let Some(frame) = self.arena.frame(0) {
                    self.at = frame;
                }
            } else {
                self.fail(f, "a row must begin with its row field");
            }
            return;
        }
        let Some(i) = self.column_index(f) else {
            return;
        };
        let Some(frame) = self.arena.frame(i) else {
            self.fail(f, "begun but not a struct, tuple or list");
            return;
        };
        match self.stack.get_mut(self.depth) {
            Some(saved) => {
                *saved = self.at;
                self.depth += 1;
                self.at = frame;
            }
            None => self.fail(f, "nested too deep"),
        }
    }

    #[inline(always)]
    fn end(&mut self) {
        if !self.in_row {
            return;
        }
        let (open, list, items) = (self.at.open, self.at.list, self.at.first);
        let item_count = match self.arena.cols.get(items) {
            Some(c) if list => c.len,
            _ => 0,
        };
        if let Some(c) = self.arena.cols.get_mut(open) {
            if let Values::List { offsets, .. } = &mut c.values {
                offsets.push(i32::try_from(item_count).unwrap_or(i32::MAX));
            }
            c.pushed();
        }
        if self.depth == 0 {
            self.in_row = false;
            self.at = Frame::default();
            return;
        }
        self.depth -= 1;
        if let Some(saved) = self.stack.get(self.depth) {
            self.at = *saved;
        }
    }
}

/// Segment rows ([`schema::segment`]) into `RecordBatch`es of a settable size.
#[derive(Debug)]
pub struct SegmentBatchBuilder {
    rows: RowBuilder,
    batch_size: usize,
}

impl SegmentBatchBuilder {
    /// Batches of `batch_size` rows (at least 1; fewer when a column nears
    /// Arrow's 2 GiB of offsets, see [`RowBuilder::full`]); the columns start with
    /// room for [`super::DEFAULT_BATCH_SIZE`] rows at most and grow (a batch
    /// as large as a whole capture reserves nothing for rows that never come).
    pub fn new(batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        Self {
            rows: RowBuilder::new(
                &schema::segment::SEGMENT,
                batch_size.min(super::DEFAULT_BATCH_SIZE),
            ),
            batch_size,
        }
    }

    /// The schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.rows.schema()
    }

    /// Rows waiting for the next batch.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No row waiting.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends one segment (record `frame` captured at `ts_ns`, with its
    /// facts); returns a batch when `batch_size` rows are waiting.
    pub fn push(
        &mut self,
        frame: u64,
        ts_ns: i64,
        seg: &Segment<'_>,
        facts: &SegmentFacts,
    ) -> Result<Option<RecordBatch>, ArrowError> {
        schema::segment::visit(&mut self.rows, frame, ts_ns, seg, facts);
        if self.rows.full(self.batch_size, 1024) {
            self.rows.finish().map(Some)
        } else {
            Ok(None)
        }
    }

    /// The rows waiting, as a batch (`None` when there are none).
    pub fn finish(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.rows.is_empty() {
            return Ok(None);
        }
        self.rows.finish().map(Some)
    }
}

/// Connection records ([`schema::connection`]) into `RecordBatch`es of a
/// settable size.
#[derive(Debug)]
pub struct ConnectionBatchBuilder {
    rows: RowBuilder,
    batch_size: usize,
}

impl ConnectionBatchBuilder {
    /// Batches of `batch_size` rows (at least 1; fewer when a column nears
    /// Arrow's 2 GiB of offsets, see [`RowBuilder::full`]).
    pub fn new(batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        Self {
            rows: RowBuilder::new(&schema::connection::CONNECTION, batch_size.min(1024)),
            batch_size,
        }
    }

    /// The schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.rows.schema()
    }

    /// Rows waiting for the next batch.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No row waiting.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends one connection; returns a batch when `batch_size` rows are waiting.
    pub fn push(
        &mut self,
        conn: &schema::connection::Record,
    ) -> Result<Option<RecordBatch>, ArrowError> {
        schema::connection::visit(&mut self.rows, conn);
        if self.rows.full(self.batch_size, 64) {
            self.rows.finish().map(Some)
        } else {
            Ok(None)
        }
    }

    /// The rows waiting, as a batch (`None` when there are none).
    pub fn finish(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.rows.is_empty() {
            return Ok(None);
        }
        self.rows.finish().map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::{Bits, RecentAddrs};
    use crate::wire::addr_text;
    use std::net::IpAddr;

    /// Whatever the order of the addresses (repeated, alternating, new, the
    /// unspecified address the cache starts with), each text is the
    /// address's own.
    #[test]
    fn recent_addresses_read_as_written() {
        let seq = [
            "10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1", "0.0.0.0",
            "::1", "::1", "10.0.0.3", "fe80::1", "10.0.0.2", "0.0.0.0", "0.0.0.0",
        ];
        let mut recent = RecentAddrs::default();
        for a in seq {
            let ip: IpAddr = a.parse().expect("an address");
            assert_eq!(recent.text(&ip).as_bytes(), a.as_bytes(), "{a}");
            assert_eq!(addr_text(&ip).as_bytes(), a.as_bytes());
        }
    }

    /// `Bits` against a plain list of booleans, over runs of every length
    /// around byte edges: each bit reads back as pushed, and the bits past
    /// the length stay 0.
    #[test]
    fn bits_read_back_as_pushed() {
        let runs = [(true, 3), (false, 1), (true, 12), (false, 9), (true, 1)];
        for start in 0..9 {
            let mut bits = Bits::default();
            let mut want = Vec::new();
            for i in 0..start {
                bits.push(i % 3 == 0);
                want.push(i % 3 == 0);
            }
            for &(v, n) in &runs {
                bits.push_n(v, n);
                want.extend(std::iter::repeat_n(v, n));
                bits.push(!v);
                want.push(!v);
            }
            assert_eq!(bits.len, want.len());
            for (i, &w) in want.iter().enumerate() {
                assert_eq!(
                    bits.bytes[i / 8] >> (i % 8) & 1 == 1,
                    w,
                    "start {start} bit {i}"
                );
            }
            let last = bits.bytes.last().copied().unwrap_or_default();
            assert_eq!(u32::from(last) >> ((want.len() - 1) % 8) >> 1, 0);
        }
    }
}
