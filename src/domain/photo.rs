//! What makes a photo of a visit acceptable (issue 14, item 2): a JPEG or
//! PNG whose bytes are what its media type says, whole from its header to
//! its end marker, at most [`MAX_PHOTO_BYTES`]; at most [`MAX_PHOTOS`] per
//! visit. Pure checks on bytes: nothing is decoded beyond the header.

/// Largest photo: 5 MiB.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Most photos one visit keeps.
pub const MAX_PHOTOS: i64 = 4;

/// The image formats taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
}

impl ImageType {
    /// The type a `Content-Type` names (parameters ignored), if one taken.
    pub fn from_media_type(media_type: &str) -> Option<ImageType> {
        let essence = media_type.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("image/jpeg") {
            Some(ImageType::Jpeg)
        } else if essence.eq_ignore_ascii_case("image/png") {
            Some(ImageType::Png)
        } else {
            None
        }
    }

    pub const fn media_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
        }
    }

    /// Reads a stored media type back.
    pub fn parse(stored: &str) -> Option<ImageType> {
        Self::from_media_type(stored)
    }
}

/// Why bytes are not an image of the declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the body does not start as a {0} does")]
    WrongSignature(&'static str),
    #[error("the {0} header is cut off or malformed")]
    BadHeader(&'static str),
    #[error("the image has no width or height")]
    NoSize,
    #[error("the {0} does not end with its end marker (cut off?)")]
    Truncated(&'static str),
}

/// Width and height of a whole image of type `kind`, or why it is not one.
pub fn check_image(kind: ImageType, bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    match kind {
        ImageType::Jpeg => check_jpeg(bytes),
        ImageType::Png => check_png(bytes),
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_IEND: &[u8] = b"\0\0\0\0IEND\xaeB`\x82";

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Signature, an `IHDR` chunk of 13 bytes with a valid CRC, a size and a
/// valid bit depth and colour type, and `IEND` last.
fn check_png(b: &[u8]) -> Result<(u32, u32), ImageError> {
    if !b.starts_with(PNG_SIGNATURE) {
        return Err(ImageError::WrongSignature("PNG"));
    }
    let ihdr = b.get(8..33).ok_or(ImageError::BadHeader("PNG"))?;
    if be32(&ihdr[0..4]) != 13 || &ihdr[4..8] != b"IHDR" {
        return Err(ImageError::BadHeader("PNG"));
    }
    let mut crc = flate2::Crc::new();
    crc.update(&ihdr[4..21]);
    if crc.sum() != be32(&ihdr[21..25]) {
        return Err(ImageError::BadHeader("PNG"));
    }
    let (width, height) = (be32(&ihdr[8..12]), be32(&ihdr[12..16]));
    let (depth, colour) = (ihdr[16], ihdr[17]);
    let valid = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !valid {
        return Err(ImageError::BadHeader("PNG"));
    }
    if width == 0 || height == 0 {
        return Err(ImageError::NoSize);
    }
    if !b.ends_with(PNG_IEND) {
        return Err(ImageError::Truncated("PNG"));
    }
    Ok((width, height))
}

/// Start of image, then marker segments up to a start-of-frame with a size
/// (walked by their lengths), and end of image last.
fn check_jpeg(b: &[u8]) -> Result<(u32, u32), ImageError> {
    if !b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(ImageError::WrongSignature("JPEG"));
    }
    let bad = ImageError::BadHeader("JPEG");
    let mut at = 2;
    let size = loop {
        // Fill bytes (0xFF) may precede a marker.
        while b.get(at) == Some(&0xFF) && b.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if b.get(at) != Some(&0xFF) {
            return Err(bad);
        }
        let marker = *b.get(at + 1).ok_or(bad.clone())?;
        // Markers without a length: TEM and restart markers.
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            at += 2;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            // End of image or start of scan before any frame header.
            return Err(bad);
        }
        let len = b.get(at + 2..at + 4).ok_or(bad.clone())?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            return Err(bad);
        }
        let segment = b.get(at + 4..at + 2 + len).ok_or(bad.clone())?;
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            if segment.len() < 6 {
                return Err(bad);
            }
            let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
            let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
            break (width, height);
        }
        at += 2 + len;
    };
    if size.0 == 0 || size.1 == 0 {
        return Err(ImageError::NoSize);
    }
    if !b.ends_with(&[0xFF, 0xD9]) {
        return Err(ImageError::Truncated("JPEG"));
    }
    Ok(size)
}

/// Test images built byte by byte (the API tests build the same).
#[cfg(test)]
pub mod samples {
    /// A 1×1 greyscale PNG: signature, IHDR, one IDAT, IEND.
    pub fn png() -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(data);
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&crc.sum().to_be_bytes());
        }
        let mut out = super::PNG_SIGNATURE.to_vec();
        chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        // zlib of the one scanline [filter 0, pixel 0].
        chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x01, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
        );
        chunk(&mut out, b"IEND", &[]);
        out
    }

    /// A JPEG's frame: SOI, APP0 (JFIF), SOF0 of 1×1 greyscale, EOI.
    pub fn jpeg() -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        out.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
        out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        out.extend_from_slice(&[
            0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00,
        ]);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_images_are_taken_with_their_size() {
        assert_eq!(check_image(ImageType::Png, &samples::png()), Ok((1, 1)));
        assert_eq!(check_image(ImageType::Jpeg, &samples::jpeg()), Ok((1, 1)));
    }

    #[test]
    fn text_a_wrong_type_and_cut_images_are_refused() {
        let text = b"this is not a photo, only a file renamed foto.jpg\n";
        assert_eq!(
            check_image(ImageType::Jpeg, text),
            Err(ImageError::WrongSignature("JPEG"))
        );
        assert!(check_image(ImageType::Jpeg, &samples::png()).is_err());
        assert!(check_image(ImageType::Png, &samples::jpeg()).is_err());
        let png = samples::png();
        assert_eq!(
            check_image(ImageType::Png, &png[..png.len() - 3]),
            Err(ImageError::Truncated("PNG"))
        );
        assert!(check_image(ImageType::Png, &png[..20]).is_err());
        let jpeg = samples::jpeg();
        assert!(check_image(ImageType::Jpeg, &jpeg[..10]).is_err());
        assert_eq!(
            check_image(ImageType::Jpeg, &jpeg[..jpeg.len() - 2]),
            Err(ImageError::Truncated("JPEG"))
        );
        let mut bad_crc = png.clone();
        bad_crc[20] ^= 1;
        assert!(check_image(ImageType::Png, &bad_crc).is_err());
    }

    #[test]
    fn media_types_are_read_without_parameters_and_case() {
        assert_eq!(
            ImageType::from_media_type("IMAGE/JPEG; q=1"),
            Some(ImageType::Jpeg)
        );
        assert_eq!(
            ImageType::from_media_type("image/png"),
            Some(ImageType::Png)
        );
        assert_eq!(ImageType::from_media_type("image/gif"), None);
    }
}
