//! How an import's new rows reach SQLite: inserts of [`ROWS_PER_INSERT`]
//! rows each, the rest one a statement.
//!
//! A group of a fixed size is a type of its own (`&[T; N]`), so diesel
//! prepares its statement once and keeps it, as it does the one-row insert
//! (the rows bind every column: no `DEFAULT`). Against one insert a row it
//! steps a sixteenth of the statements; a 300,000-family P3KE import went
//! from 32.6 to 28.1 s (docs/PERFORMANCE.md, session 18). Larger groups
//! gained nothing more.

/// Rows one SQLite insert carries.
pub const ROWS_PER_INSERT: usize = 16;

/// Inserts the rows of `$rows` (an iterator) into `$table` on the SQLite
/// connection `$conn`, in the caller's transaction; `?` on an error.
macro_rules! insert_grouped {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use $crate::db::grouped_insert::ROWS_PER_INSERT;
        let rows: Vec<_> = $rows.collect();
        let mut groups = rows.chunks_exact(ROWS_PER_INSERT);
        for group in &mut groups {
            if let Ok(group) = <&[_; ROWS_PER_INSERT]>::try_from(group) {
                diesel::insert_into($table).values(group).execute($conn)?;
            }
        }
        for row in groups.remainder() {
            diesel::insert_into($table).values(row).execute($conn)?;
        }
    }};
}
pub(crate) use insert_grouped;
