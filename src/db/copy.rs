//! PostgreSQL `COPY … FROM STDIN` of the rows the registry writer holds.
//!
//! A row is written as its `serde::Serialize` form says, one column per
//! field in declaration order, in COPY's text format; the column list is the
//! fields' names. So the insertable structs (`db::registry_writer`) are the
//! one list of columns, as for their diesel inserts: nothing here names a
//! column. Their groups serialise flat (`#[serde(flatten)]`), under the
//! columns' names, as `HouseholdRow` always did for the audit trail.

use std::fmt::Write as _;
use std::marker::PhantomData;
use std::sync::OnceLock;

use diesel::pg::{CopyTarget, Pg};
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use serde::ser::{self, Impossible, Serialize};

use super::DbError;

/// Where a COPY goes: a table (or a temporary table shaped like it) and the
/// columns its rows serialise, learnt from the first row copied.
pub trait CopyInto: 'static {
    /// The diesel table the rows are of.
    type Table: diesel::Table;
    /// The table written to, as SQL.
    const TARGET: &'static str;
    fn columns() -> &'static OnceLock<String>;
}

/// The target of diesel's COPY: `TARGET (columns)`.
struct Target<D>(PhantomData<D>);

impl<D: CopyInto> CopyTarget for Target<D> {
    type Table = D::Table;
    type SqlType = diesel::sql_types::Text;

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
        pass.push_sql(D::TARGET);
        pass.push_sql(" (");
        pass.push_sql(D::columns().get().map_or("", String::as_str));
        pass.push_sql(")");
        Ok(())
    }
}

/// COPY text gathered before it is handed to the connection: libpq sends
/// it on at once, so PostgreSQL stores these rows while the next are made.
const SEND_AT: usize = 64 * 1024;

/// Copies `rows` into `D::TARGET`; returns the rows written. The rows are
/// made as they are sent: whatever an iterator computes per row (an
/// import's values and content hash) runs while PostgreSQL writes the rows
/// before it, not before the COPY starts (docs/PERFORMANCE.md, session 16).
pub fn copy_rows<D: CopyInto, R: Serialize>(
    conn: &mut PgConnection,
    rows: impl IntoIterator<Item = R>,
) -> Result<usize, DbError>
where
    D::Table: Default,
{
    let mut rows = rows.into_iter().peekable();
    let Some(first) = rows.peek() else {
        return Ok(0);
    };
    if D::columns().get().is_none() {
        let names = column_names(first)?.join(", ");
        let _ = D::columns().set(names);
    }
    // diesel calls the writer through `Fn`: the rows are taken out once.
    let rows = std::cell::RefCell::new(rows);
    let failed = |e: DbError| diesel::result::Error::SerializationError(e.to_string().into());
    let sent = |e: std::io::Error| diesel::result::Error::SerializationError(Box::new(e));
    let written = diesel::copy_from(D::Table::default())
        .from_raw_data(Target::<D>(PhantomData), |out| {
            let mut text = String::with_capacity(SEND_AT + SEND_AT / 4);
            for row in rows.borrow_mut().by_ref() {
                write_row(&mut text, &row, None).map_err(failed)?;
                if text.len() >= SEND_AT {
                    out.write_all(text.as_bytes()).map_err(sent)?;
                    text.clear();
                }
            }
            out.write_all(text.as_bytes()).map_err(sent)
        })
        .execute(conn)?;
    Ok(written)
}

/// The quoted names of a row's columns, in field order.
pub fn column_names<R: Serialize>(row: &R) -> Result<Vec<String>, DbError> {
    let mut names = Vec::new();
    write_row(&mut String::new(), row, Some(&mut names))?;
    Ok(names.into_iter().map(|n| format!("\"{n}\"")).collect())
}

/// Appends one row in COPY's text format (tab-separated, `\N` for NULL),
/// and its column names to `names` when given.
fn write_row<R: Serialize>(
    text: &mut String,
    row: &R,
    names: Option<&mut Vec<String>>,
) -> Result<(), DbError> {
    let mut s = CopyRow {
        text,
        fields: 0,
        names,
    };
    row.serialize(&mut s)
        .map_err(|e| DbError::internal(e.to_string()))?;
    s.text.push('\n');
    Ok(())
}

/// COPY text escapes: the backslash and the characters that end a field or a row.
fn escape_into(text: &mut String, value: &str) {
    let mut rest = value;
    while let Some(at) = rest
        .bytes()
        .position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        text.push_str(&rest[..at]);
        text.push_str(match rest.as_bytes()[at] {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            _ => "\\r",
        });
        rest = &rest[at + 1..];
    }
    text.push_str(rest);
}

/// One row as serde walks it, written straight into the COPY text.
struct CopyRow<'t> {
    text: &'t mut String,
    fields: usize,
    names: Option<&'t mut Vec<String>>,
}

#[derive(Debug)]
pub struct CopyError(String);

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CopyError {}

impl ser::Error for CopyError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        CopyError(msg.to_string())
    }
}

fn unsupported(what: &str) -> CopyError {
    CopyError(format!("a COPY column cannot be {what}"))
}

impl CopyRow<'_> {
    /// Starts the next column.
    fn next(&mut self) -> &mut String {
        if self.fields > 0 {
            self.text.push('\t');
        }
        self.fields += 1;
        self.text
    }
}

macro_rules! display_value {
    ($($method:ident: $ty:ty),+ $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<(), CopyError> {
            let _ = write!(self.next(), "{v}");
            Ok(())
        })+
    };
}

impl ser::Serializer for &mut CopyRow<'_> {
    type Ok = ();
    type Error = CopyError;
    type SerializeSeq = Impossible<(), CopyError>;
    type SerializeTuple = Impossible<(), CopyError>;
    type SerializeTupleStruct = Impossible<(), CopyError>;
    type SerializeTupleVariant = Impossible<(), CopyError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), CopyError>;

    display_value!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64,
    );

    fn serialize_char(self, v: char) -> Result<(), CopyError> {
        escape_into(self.next(), v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), CopyError> {
        escape_into(self.next(), v);
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result<(), CopyError> {
        self.next().push(if v { 't' } else { 'f' });
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CopyError> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<(), CopyError> {
        self.next().push_str("\\N");
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), CopyError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CopyError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CopyError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), CopyError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), CopyError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CopyError> {
        Err(unsupported("an enum with data"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CopyError> {
        Err(unsupported("a list"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CopyError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CopyError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CopyError> {
        Err(unsupported("an enum with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, CopyError> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, CopyError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CopyError> {
        Err(unsupported("an enum with data"))
    }
}

impl ser::SerializeStruct for &mut CopyRow<'_> {
    type Ok = ();
    type Error = CopyError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), CopyError> {
        if let Some(names) = self.names.as_deref_mut() {
            names.push(name.to_string());
        }
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<(), CopyError> {
        Ok(())
    }
}

/// A struct with flattened groups serialises as one map, keyed by column.
impl ser::SerializeMap for &mut CopyRow<'_> {
    type Ok = ();
    type Error = CopyError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), CopyError> {
        if let Some(names) = self.names.as_deref_mut() {
            let mut name = String::new();
            key.serialize(&mut CopyRow {
                text: &mut name,
                fields: 0,
                names: None,
            })?;
            names.push(name);
        }
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), CopyError> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<(), CopyError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Row {
        id: &'static str,
        note: Option<&'static str>,
        count: i32,
        ok: bool,
    }

    /// A value is written as COPY reads it back: the escapes where they
    /// stand, everything else (beyond ASCII too) as it is.
    #[test]
    fn writes_a_row_in_copy_text_with_its_escapes() {
        let mut text = String::new();
        let mut names = Vec::new();
        let row = Row {
            id: "a\tb\\c\nd\re Čempaka",
            note: None,
            count: -3,
            ok: true,
        };
        write_row(&mut text, &row, Some(&mut names)).unwrap();
        assert_eq!(text, "a\\tb\\\\c\\nd\\re Čempaka\t\\N\t-3\tt\n");
        assert_eq!(names, ["id", "note", "count", "ok"]);
        let mut plain = String::new();
        escape_into(&mut plain, "tanpa escape");
        assert_eq!(plain, "tanpa escape");
    }
}
