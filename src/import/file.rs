//! An import's files between upload and import, never held whole when they
//! are CSV: a CSV stays on disk (the named file of `rbpk import`, or the
//! endpoint's upload spooled to a temporary file) and each pass (the
//! headers at upload, the rows in the import) opens it afresh as a stream.
//! An XLSX is held in memory: its zip directory sits at the end of the file
//! and its parts are read by position (`import::xlsx`); it is compressed and
//! within the upload limit.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::import::sheet::{detect_media, FileError, Input, Media};

/// Bytes read at a time from a file on disk.
const READ_BUFFER: usize = 256 * 1024;

/// One file of an import.
#[derive(Debug)]
pub struct ImportFile {
    body: Body,
}

#[derive(Debug)]
enum Body {
    Memory(Vec<u8>),
    /// A CSV on disk; `spooled` files are the endpoint's and removed on drop.
    Disk {
        path: PathBuf,
        spooled: bool,
    },
}

impl ImportFile {
    /// A file given by its path (`rbpk import`): left where it is.
    pub fn at(path: &Path) -> std::io::Result<ImportFile> {
        ImportFile::on_disk(path.to_path_buf(), false)
    }

    /// A temporary file the upload was spooled to: this import's own, removed
    /// when it is dropped (also if the import never runs).
    pub fn spooled(path: PathBuf) -> std::io::Result<ImportFile> {
        ImportFile::on_disk(path, true)
    }

    /// A file already in memory (the demo registry, tests).
    pub fn from_bytes(bytes: Vec<u8>) -> ImportFile {
        ImportFile {
            body: Body::Memory(bytes),
        }
    }

    fn on_disk(path: PathBuf, spooled: bool) -> std::io::Result<ImportFile> {
        let mut start = Vec::with_capacity(4);
        File::open(&path)?.take(4).read_to_end(&mut start)?;
        let xlsx = detect_media(&start) == Media::Xlsx;
        let file = ImportFile {
            body: Body::Disk { path, spooled },
        };
        match &file.body {
            // An XLSX is read by position: load it; a spooled one is removed
            // as `file` drops.
            Body::Disk { path, .. } if xlsx => Ok(ImportFile::from_bytes(std::fs::read(path)?)),
            _ => Ok(file),
        }
    }

    /// CSV or XLSX (a file on disk is a CSV: an XLSX is loaded).
    pub fn media(&self) -> Media {
        match &self.body {
            Body::Memory(bytes) => detect_media(bytes),
            Body::Disk { .. } => Media::Csv,
        }
    }

    /// The file opened for one pass, as the readers take it.
    pub fn input(&self) -> Result<Input<'_>, FileError> {
        match &self.body {
            Body::Memory(bytes) => Ok(Input::from(bytes.as_slice())),
            Body::Disk { path, .. } => {
                let file = File::open(path).map_err(|e| FileError::Unreadable(e.to_string()))?;
                Ok(Input::Csv(Box::new(BufReader::with_capacity(
                    READ_BUFFER,
                    file,
                ))))
            }
        }
    }

    /// The data rows of a CSV for progress, read as a stream (blank lines
    /// and quoted line breaks make this an upper bound); 0 for an XLSX.
    pub fn estimate_rows(&self) -> Result<usize, FileError> {
        let Input::Csv(mut stream) = self.input()? else {
            return Ok(0);
        };
        let (mut breaks, mut last) = (0usize, b'\n');
        let mut buf = vec![0; READ_BUFFER];
        loop {
            let n = stream
                .read(&mut buf)
                .map_err(|e| FileError::Unreadable(e.to_string()))?;
            if n == 0 {
                break;
            }
            breaks += buf[..n].iter().filter(|&&b| b == b'\n').count();
            last = buf[n - 1];
        }
        Ok((breaks + usize::from(last != b'\n')).saturating_sub(1))
    }
}

/// An upload being written to a temporary file as it arrives, so the
/// service never holds it whole; the file goes if the upload fails.
pub struct Spool {
    path: PathBuf,
    out: std::io::BufWriter<File>,
    /// The first bytes written, to tell CSV from XLSX.
    start: Vec<u8>,
    len: usize,
    kept: bool,
}

impl Spool {
    /// A new, empty temporary file of this process's own.
    pub fn new() -> std::io::Result<Spool> {
        let path = std::env::temp_dir().join(format!("rbpk-upload-{}", uuid::Uuid::new_v4()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Spool {
            path,
            out: std::io::BufWriter::with_capacity(READ_BUFFER, file),
            start: Vec::with_capacity(4),
            len: 0,
            kept: false,
        })
    }

    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let room = 4 - self.start.len();
        self.start.extend(chunk.iter().take(room));
        self.len += chunk.len();
        self.out.write_all(chunk)
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// CSV or XLSX, from the first bytes.
    pub fn media(&self) -> Media {
        detect_media(&self.start)
    }

    /// The upload, complete, as an import's file.
    pub fn finish(mut self) -> std::io::Result<ImportFile> {
        use std::io::Write;
        self.out.flush()?;
        self.kept = true;
        ImportFile::spooled(self.path.clone())
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Drop for ImportFile {
    fn drop(&mut self) {
        if let Body::Disk {
            path,
            spooled: true,
        } = &self.body
        {
            // Nothing to do if it is gone already; a file left behind in the
            // temporary directory is only disk space.
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_the_rows_of_a_csv_and_not_of_an_xlsx() {
        let count = |b: &[u8]| ImportFile::from_bytes(b.to_vec()).estimate_rows().unwrap();
        assert_eq!(count(b"a,b\n1,2\n3,4\n"), 2);
        assert_eq!(count(b"a,b\n1,2\n3,4"), 2);
        assert_eq!(count(b""), 0);
        assert_eq!(count(b"PK\x03\x04rest"), 0);
    }

    #[test]
    fn a_spooled_file_is_removed_when_dropped_and_a_named_one_is_not() {
        let dir = std::env::temp_dir();
        let spool = dir.join(format!("rbpk-test-{}", uuid::Uuid::new_v4()));
        std::fs::write(&spool, b"a,b\n1,2\n").unwrap();
        let named = dir.join(format!("rbpk-test-{}", uuid::Uuid::new_v4()));
        std::fs::write(&named, b"a,b\n1,2\n").unwrap();
        drop(ImportFile::spooled(spool.clone()).unwrap());
        drop(ImportFile::at(&named).unwrap());
        assert!(!spool.exists());
        assert!(named.exists());
        std::fs::remove_file(named).unwrap();
    }
}
