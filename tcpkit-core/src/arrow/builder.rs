//! Column builders driven by a row type's `visit` (an Arrow [`Sink`]).

use super::{SchemaRef, arrow_field, arrow_fields, schema_of};
use crate::analysis::SegmentFacts;
use crate::schema::{self, Field, Sink, Type};
use crate::wire::{Segment, addr_text};
use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, BooleanBuilder, DurationNanosecondBuilder, Float64Builder,
    Int64Builder, StringBuilder, TimestampNanosecondBuilder, UInt8Builder, UInt16Builder,
    UInt32Builder, UInt64Builder,
};
use arrow_array::types::{
    DurationNanosecondType, Float64Type, Int64Type, TimestampNanosecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BinaryArray, BooleanArray, ListArray, PrimitiveArray,
    RecordBatch, StringArray, StructArray, new_empty_array,
};
use arrow_buffer::{
    BooleanBuffer, Buffer, MutableBuffer, NullBuffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer,
};
use arrow_schema::{ArrowError, DataType, FieldRef, Fields, TimeUnit};
use std::net::IpAddr;
use std::sync::Arc;

/// How deep rows nest (as the JSON sink).
const MAX_DEPTH: usize = 8;

/// One column being built.
#[derive(Debug)]
enum Col {
    Bool(BooleanBuilder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Ts(TimestampNanosecondBuilder),
    Dur(DurationNanosecondBuilder),
    Str(StringBuilder),
    Bin(BinaryBuilder),
    Struct(Box<StructCol>),
    List(Box<ListCol>),
}

/// A struct column (and a row: the top-level columns).
#[derive(Debug)]
struct StructCol {
    decl: &'static [&'static Field],
    fields: Fields,
    children: Vec<Col>,
    nulls: NullBufferBuilder,
    len: usize,
    /// Where the next field visited is expected (fields come in order).
    cursor: usize,
}

/// A list column.
#[derive(Debug)]
struct ListCol {
    decl: &'static Field,
    field: FieldRef,
    item: Col,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
}

impl StructCol {
    fn new(decl: &'static [&'static Field], cap: usize) -> Self {
        Self {
            decl,
            fields: arrow_fields(decl),
            children: decl.iter().map(|f| Col::new(f.ty, cap)).collect(),
            nulls: NullBufferBuilder::new(cap),
            len: 0,
            cursor: 0,
        }
    }

    /// The index of the field `f`, looked for where the last one was found.
    #[inline]
    fn find(&mut self, f: &'static Field) -> Option<usize> {
        let i = match self.decl.get(self.cursor) {
            Some(d) if std::ptr::eq(*d, f) => self.cursor,
            _ => self.decl.iter().position(|d| std::ptr::eq(*d, f))?,
        };
        self.cursor = i + 1;
        Some(i)
    }

    /// The column of the field `f` and its index, brought up to the
    /// struct's length (see [`Self::close`]).
    #[inline]
    fn child(&mut self, f: &'static Field) -> Option<(usize, &mut Col)> {
        let len = self.len;
        let i = self.find(f)?;
        let c = self.children.get_mut(i)?;
        c.catch_up(len);
        Some((i, c))
    }

    /// Closes one struct value. A child not visited stays behind: it is
    /// brought up to the struct's length with nulls when it is next written
    /// ([`Col::catch_up`]) or finished, not here (most fields of a TCP option
    /// are absent: filling them one row at a time is the slow part).
    fn close(&mut self, valid: bool) {
        if valid {
            self.nulls.append_non_null();
        } else {
            self.nulls.append_null();
        }
        self.len += 1;
        self.cursor = 0;
    }

    /// The children's arrays; each child is left empty with room for `next`
    /// values (see [`Col::finish`]).
    fn finish_columns(&mut self, next: usize, zeros: &mut Zeros) -> Vec<ArrayRef> {
        let len = std::mem::take(&mut self.len);
        self.children
            .iter_mut()
            .map(|c| {
                c.catch_up(len);
                c.finish(next, zeros)
            })
            .collect()
    }

    fn finish(&mut self, next: usize, zeros: &mut Zeros) -> Result<StructArray, ArrowError> {
        let nulls = self.nulls.finish();
        let len = self.len;
        let cols = self.finish_columns(next, zeros);
        StructArray::try_new_with_length(self.fields.clone(), cols, nulls, len)
    }
}

impl Col {
    fn new(ty: Type, cap: usize) -> Self {
        match ty {
            Type::Bool => Self::Bool(BooleanBuilder::with_capacity(cap)),
            Type::UInt8 => Self::U8(UInt8Builder::with_capacity(cap)),
            Type::UInt16 => Self::U16(UInt16Builder::with_capacity(cap)),
            Type::UInt32 => Self::U32(UInt32Builder::with_capacity(cap)),
            Type::UInt64 => Self::U64(UInt64Builder::with_capacity(cap)),
            Type::Int64 => Self::I64(Int64Builder::with_capacity(cap)),
            Type::Float64 => Self::F64(Float64Builder::with_capacity(cap)),
            Type::Timestamp => {
                Self::Ts(TimestampNanosecondBuilder::with_capacity(cap).with_timezone("UTC"))
            }
            Type::Duration => Self::Dur(DurationNanosecondBuilder::with_capacity(cap)),
            Type::Utf8 => Self::Str(StringBuilder::with_capacity(cap, cap * 8)),
            Type::Binary => Self::Bin(BinaryBuilder::with_capacity(cap, cap * 4)),
            Type::Struct(decl) | Type::Tuple(decl) => {
                Self::Struct(Box::new(StructCol::new(decl, cap)))
            }
            Type::List(item) => Self::List(Box::new(ListCol {
                decl: item,
                field: Arc::new(arrow_field(item)),
                item: Col::new(item.ty, cap),
                offsets: vec![0],
                nulls: NullBufferBuilder::new(cap),
            })),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        match self {
            Self::Bool(b) => b.len(),
            Self::U8(b) => b.len(),
            Self::U16(b) => b.len(),
            Self::U32(b) => b.len(),
            Self::U64(b) => b.len(),
            Self::I64(b) => b.len(),
            Self::F64(b) => b.len(),
            Self::Ts(b) => b.len(),
            Self::Dur(b) => b.len(),
            Self::Str(b) => b.len(),
            Self::Bin(b) => b.len(),
            Self::Struct(s) => s.len,
            Self::List(l) => l.offsets.len() - 1,
        }
    }

    fn append_null(&mut self) {
        self.append_nulls(1);
    }

    /// Appends nulls until the column holds `len` values (a child of a
    /// struct of that length).
    #[inline]
    fn catch_up(&mut self, len: usize) {
        let have = self.len();
        if have < len {
            self.append_nulls(len - have);
        }
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            Self::Bool(b) => b.append_nulls(n),
            Self::U8(b) => b.append_nulls(n),
            Self::U16(b) => b.append_nulls(n),
            Self::U32(b) => b.append_nulls(n),
            Self::U64(b) => b.append_nulls(n),
            Self::I64(b) => b.append_nulls(n),
            Self::F64(b) => b.append_nulls(n),
            Self::Ts(b) => b.append_nulls(n),
            Self::Dur(b) => b.append_nulls(n),
            Self::Str(b) => b.append_nulls(n),
            Self::Bin(b) => b.append_nulls(n),
            // Its children catch up when written or finished.
            Self::Struct(s) => {
                s.nulls.append_n_nulls(n);
                s.len += n;
            }
            Self::List(l) => {
                let end = l.offsets.last().copied().unwrap_or_default();
                l.offsets.extend(std::iter::repeat_n(end, n));
                l.nulls.append_n_nulls(n);
            }
        }
    }

    /// The column's array. The builder is left empty with room for `next`
    /// values (and strings and bytes for as many bytes a value as this batch
    /// had, an eighth more), and a list's items for as many as this batch's
    /// an eighth more: an Arrow builder's `finish` leaves no room, and
    /// regrowing every column of every batch by doubling from nothing cost a
    /// fifth of the segment rows' instructions and left up to half of each
    /// buffer unused in the batches kept.
    ///
    /// A column of nulls only (most fields of a TCP option are absent from
    /// every option of a batch) becomes an array over the [`Zeros`] shared by
    /// all such columns: its own buffers are not kept.
    fn finish(&mut self, next: usize, zeros: &mut Zeros) -> ArrayRef {
        let array = self.finish_built(next, zeros);
        if array.is_empty() || array.null_count() < array.len() {
            return array;
        }
        zeros
            .null_array(array.data_type(), array.len())
            .unwrap_or(array)
    }

    /// [`Self::finish`] with the column's own buffers.
    fn finish_built(&mut self, next: usize, zeros: &mut Zeros) -> ArrayRef {
        /// Room for the bytes of `next` values of a bytes column holding
        /// `len` values in `bytes`.
        fn room(bytes: usize, len: usize, next: usize) -> usize {
            let per = bytes.div_ceil(len.max(1)).max(1);
            let want = per.saturating_mul(next);
            want.saturating_add(want / 8)
        }
        use std::mem::replace;
        match self {
            Self::Bool(b) => Arc::new(replace(b, BooleanBuilder::with_capacity(next)).finish()),
            Self::U8(b) => Arc::new(replace(b, UInt8Builder::with_capacity(next)).finish()),
            Self::U16(b) => Arc::new(replace(b, UInt16Builder::with_capacity(next)).finish()),
            Self::U32(b) => Arc::new(replace(b, UInt32Builder::with_capacity(next)).finish()),
            Self::U64(b) => Arc::new(replace(b, UInt64Builder::with_capacity(next)).finish()),
            Self::I64(b) => Arc::new(replace(b, Int64Builder::with_capacity(next)).finish()),
            Self::F64(b) => Arc::new(replace(b, Float64Builder::with_capacity(next)).finish()),
            Self::Ts(b) => Arc::new(
                replace(
                    b,
                    TimestampNanosecondBuilder::with_capacity(next).with_timezone("UTC"),
                )
                .finish(),
            ),
            Self::Dur(b) => {
                Arc::new(replace(b, DurationNanosecondBuilder::with_capacity(next)).finish())
            }
            Self::Str(b) => {
                let bytes = room(b.values_slice().len(), b.len(), next);
                Arc::new(replace(b, StringBuilder::with_capacity(next, bytes)).finish())
            }
            Self::Bin(b) => {
                let bytes = room(b.values_slice().len(), b.len(), next);
                Arc::new(replace(b, BinaryBuilder::with_capacity(next, bytes)).finish())
            }
            // Built from the declarations, the children match their fields;
            // an error here is a bug, caught by the tests: it becomes an
            // empty-struct array of the right length rather than a panic.
            Self::Struct(s) => {
                let len = s.len;
                match s.finish(next, zeros) {
                    Ok(a) => Arc::new(a),
                    Err(_) => Arc::new(StructArray::new_null(s.fields.clone(), len)),
                }
            }
            Self::List(l) => {
                let mut fresh = Vec::with_capacity(next + 1);
                fresh.push(0);
                let offsets = replace(&mut l.offsets, fresh);
                let items = l.item.len();
                let values = l.item.finish(items.saturating_add(items / 8), zeros);
                let nulls = l.nulls.finish();
                let len = offsets.len() - 1;
                ListArray::try_new(
                    l.field.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    values,
                    nulls,
                )
                .map_or_else(
                    |_| Arc::new(ListArray::new_null(l.field.clone(), len)) as ArrayRef,
                    |a| Arc::new(a),
                )
            }
        }
    }
}

/// Zero bytes shared by the columns of nulls only of every batch
/// ([`Col::finish`]): the values, offsets and validity of such a column are
/// all zeros, which one buffer can hold for all of them.
#[derive(Debug, Default)]
struct Zeros(Buffer);

impl Zeros {
    /// At least `bytes` zero bytes: this buffer, or a longer one from now on
    /// (the arrays made earlier keep theirs).
    fn at_least(&mut self, bytes: usize) -> Buffer {
        if self.0.len() < bytes {
            self.0 = MutableBuffer::from_len_zeroed(bytes.next_power_of_two()).into();
        }
        self.0.clone()
    }

    /// `len` nulls of type `ty` over the shared zeros; `None` for a type
    /// not handled here (structs) or an array the checks refuse.
    fn null_array(&mut self, ty: &DataType, len: usize) -> Option<ArrayRef> {
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

/// A container open while a row is visited.
enum Node<'a> {
    Struct(&'a mut StructCol),
    List(&'a mut ListCol),
}

/// Rows of one row type built into columns: the Arrow [`Sink`]. A field
/// visited that its row type does not declare there, of another type, or
/// null when not nullable, is an error ([`RowBuilder::finish`] returns it).
#[derive(Debug)]
pub struct RowBuilder {
    row: &'static Field,
    schema: SchemaRef,
    root: StructCol,
    /// Child index of each open container below the row.
    path: [usize; MAX_DEPTH],
    depth: usize,
    in_row: bool,
    error: Option<String>,
    /// Shared by the columns of nulls only of every batch.
    zeros: Zeros,
}

impl RowBuilder {
    /// Builds rows of `row` (a row field, e.g. [`schema::segment::SEGMENT`]),
    /// with room for `capacity` rows before growing.
    pub fn new(row: &'static Field, capacity: usize) -> Self {
        Self {
            row,
            schema: schema_of(row),
            root: StructCol::new(row.children(), capacity),
            path: [0; MAX_DEPTH],
            depth: 0,
            in_row: false,
            error: None,
            zeros: Zeros::default(),
        }
    }

    /// The schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Rows appended since the last batch.
    pub fn len(&self) -> usize {
        self.root.len
    }

    /// No row appended since the last batch.
    pub fn is_empty(&self) -> bool {
        self.root.len == 0
    }

    /// The rows appended so far as one batch (empty when there are none);
    /// the builder starts afresh. Errors: a visit that did not match the
    /// declarations (a bug).
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        if let Some(e) = self.error.take() {
            // Drop what was built: it may be ragged.
            let _ = self.root.finish_columns(0, &mut self.zeros);
            self.depth = 0;
            self.in_row = false;
            return Err(ArrowError::SchemaError(e));
        }
        // The next batch is expected to be as long as this one.
        let cols = self.root.finish_columns(self.root.len, &mut self.zeros);
        RecordBatch::try_new(self.schema.clone(), cols)
    }

    fn fail(&mut self, f: &Field, what: &str) {
        fail(&mut self.error, self.row, f, what);
    }

    /// The container open now.
    fn node(&mut self) -> Option<Node<'_>> {
        if !self.in_row {
            return None;
        }
        node(&mut self.root, self.path.get(..self.depth)?)
    }

    /// The column of `f` in the container open now, and its index there.
    #[inline]
    fn slot(&mut self, f: &'static Field) -> Option<(usize, &mut Col)> {
        let found = if !self.in_row {
            None
        } else if self.depth == 0 {
            // Most fields are the row's own: no walk from the root.
            self.root.child(f)
        } else {
            match node(
                &mut self.root,
                self.path.get(..self.depth).unwrap_or_default(),
            ) {
                Some(Node::Struct(s)) => s.child(f),
                Some(Node::List(l)) if std::ptr::eq(l.decl, f) => Some((0, &mut l.item)),
                _ => None,
            }
        };
        if found.is_none() {
            fail(
                &mut self.error,
                self.row,
                f,
                "not declared in the container open now",
            );
        }
        found
    }

    /// Appends a value to `f`'s column with `put` (false: wrong type or out of range).
    #[inline]
    fn put(&mut self, f: &'static Field, put: impl FnOnce(&mut Col) -> bool) {
        let ok = match self.slot(f) {
            Some((_, c)) => put(c),
            None => return,
        };
        if !ok {
            self.fail(f, "value of another type, or out of its range");
        }
    }
}

/// Appends an unsigned integer (or a duration) to `c`, if it fits.
#[inline]
fn put_u64(c: &mut Col, v: u64) -> Option<()> {
    match c {
        Col::U8(b) => b.append_value(u8::try_from(v).ok()?),
        Col::U16(b) => b.append_value(u16::try_from(v).ok()?),
        Col::U32(b) => b.append_value(u32::try_from(v).ok()?),
        Col::U64(b) => b.append_value(v),
        Col::Dur(b) => b.append_value(i64::try_from(v).ok()?),
        _ => return None,
    }
    Some(())
}

/// Keeps the first error.
fn fail(error: &mut Option<String>, row: &Field, f: &Field, what: &str) {
    if error.is_none() {
        *error = Some(format!(
            "{}: field `{}` ({:?}): {what}",
            row.name, f.name, f.ty
        ));
    }
}

/// The container at `path` below `root`.
#[inline]
fn node<'a>(root: &'a mut StructCol, path: &[usize]) -> Option<Node<'a>> {
    let mut node = Node::Struct(root);
    for &i in path {
        let col = match node {
            Node::Struct(s) => s.children.get_mut(i)?,
            Node::List(l) => &mut l.item,
        };
        node = match col {
            Col::Struct(s) => Node::Struct(s),
            Col::List(l) => Node::List(l),
            _ => return None,
        };
    }
    Some(node)
}

impl Sink for RowBuilder {
    fn null(&mut self, f: &'static Field) {
        if !f.nullable {
            self.fail(f, "null but not nullable");
        }
        self.put(f, |c| {
            c.append_null();
            true
        });
    }

    fn bool(&mut self, f: &'static Field, v: bool) {
        self.put(f, |c| match c {
            Col::Bool(b) => {
                b.append_value(v);
                true
            }
            _ => false,
        });
    }

    fn u64(&mut self, f: &'static Field, v: u64) {
        self.put(f, |c| put_u64(c, v).is_some());
    }

    fn i64(&mut self, f: &'static Field, v: i64) {
        self.put(f, |c| match c {
            Col::I64(b) => {
                b.append_value(v);
                true
            }
            Col::Ts(b) => {
                b.append_value(v);
                true
            }
            Col::Dur(b) => {
                b.append_value(v);
                true
            }
            _ => false,
        });
    }

    fn f64(&mut self, f: &'static Field, v: f64) {
        self.put(f, |c| match c {
            Col::F64(b) => {
                b.append_value(v);
                true
            }
            _ => false,
        });
    }

    fn str(&mut self, f: &'static Field, v: &str) {
        self.put(f, |c| match c {
            Col::Str(b) => {
                b.append_value(v);
                true
            }
            _ => false,
        });
    }

    fn addr(&mut self, f: &'static Field, v: &IpAddr) {
        // On the stack first, then one append: writing into the builder
        // piece by piece grows its buffer once a piece.
        let text = addr_text(v);
        self.str(f, text.as_str());
    }

    fn bytes(&mut self, f: &'static Field, v: &[u8]) {
        self.put(f, |c| match c {
            Col::Bin(b) => {
                b.append_value(v);
                true
            }
            _ => false,
        });
    }

    fn begin(&mut self, f: &'static Field) {
        if !self.in_row {
            if std::ptr::eq(f, self.row) {
                self.in_row = true;
                self.depth = 0;
            } else {
                self.fail(f, "a row must begin with its row field");
            }
            return;
        }
        let Some((i, c)) = self.slot(f) else {
            return;
        };
        if !matches!(c, Col::Struct(_) | Col::List(_)) {
            self.fail(f, "begun but not a struct, tuple or list");
            return;
        }
        match self.path.get_mut(self.depth) {
            Some(p) => {
                *p = i;
                self.depth += 1;
            }
            None => self.fail(f, "nested too deep"),
        }
    }

    fn end(&mut self) {
        if !self.in_row {
            return;
        }
        if self.depth == 0 {
            self.root.close(true);
            self.in_row = false;
            return;
        }
        match self.node() {
            Some(Node::Struct(s)) => s.close(true),
            Some(Node::List(l)) => {
                let end = i32::try_from(l.item.len()).unwrap_or(i32::MAX);
                l.offsets.push(end);
                l.nulls.append_non_null();
            }
            None => {}
        }
        self.depth -= 1;
    }
}

/// Segment rows ([`schema::segment`]) into `RecordBatch`es of a settable size.
#[derive(Debug)]
pub struct SegmentBatchBuilder {
    rows: RowBuilder,
    batch_size: usize,
}

impl SegmentBatchBuilder {
    /// Batches of `batch_size` rows (at least 1).
    pub fn new(batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        Self {
            rows: RowBuilder::new(&schema::segment::SEGMENT, batch_size),
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
        if self.rows.len() >= self.batch_size {
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
    /// Batches of `batch_size` rows (at least 1).
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
        if self.rows.len() >= self.batch_size {
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
