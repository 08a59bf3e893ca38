//! Printable documents (the agreement annex, `api::program_annex`) over
//! `pdf-writer`: pages of text and rules in the PDF's built-in Helvetica,
//! which every reader has, so nothing is embedded. Built-in fonts speak
//! WinAnsi: any character outside it becomes `?` ([`win_ansi`]), so no name
//! can break a document. Text is measured with Helvetica's own widths, so
//! table cells wrap instead of running into each other. Content streams are
//! left uncompressed: a few hundred rows are small, and the text stays
//! searchable in the bytes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A4 landscape, in points: a table of nine columns fits across it.
pub const A4_LANDSCAPE: (f32, f32) = (841.89, 595.28);

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// The two faces a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// Pages being written, one [`Content`] each; page numbers are added at
/// [`Pages::finish`], when their count is known.
pub struct Pages {
    size: (f32, f32),
    pages: Vec<Content>,
}

impl Pages {
    /// A document of one empty page of `size` (width, height).
    pub fn new(size: (f32, f32)) -> Pages {
        Pages {
            size,
            pages: vec![Content::new()],
        }
    }

    pub fn width(&self) -> f32 {
        self.size.0
    }

    pub fn height(&self) -> f32 {
        self.size.1
    }

    /// Starts a new page; what follows is written on it.
    pub fn new_page(&mut self) {
        self.pages.push(Content::new());
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Text with its baseline starting at (`x`, `y`), on one line.
    pub fn text(&mut self, x: f32, y: f32, face: Face, size: f32, text: &str) {
        let bytes = win_ansi(text);
        let font = match face {
            Face::Regular => REGULAR,
            Face::Bold => BOLD,
        };
        let page = self.page();
        page.begin_text();
        page.set_font(font, size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    /// Text ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, face: Face, size: f32, text: &str) {
        let x = right - width(text, face, size);
        self.text(x, y, face, size, text);
    }

    /// A straight rule.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), thickness: f32) {
        let page = self.page();
        page.set_line_width(thickness);
        page.move_to(from.0, from.1);
        page.line_to(to.0, to.1);
        page.stroke();
    }

    /// A grey band behind a row (the table's header).
    pub fn band(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        let page = self.page();
        page.save_state();
        page.set_fill_gray(gray);
        page.rect(x, y, w, h);
        page.fill_nonzero();
        page.restore_state();
    }

    /// The PDF: each page gets `footer(page, pages)` centred at its foot.
    pub fn finish(mut self, title: &str, footer: impl Fn(usize, usize) -> String) -> Vec<u8> {
        let count = self.pages.len();
        let (w, _) = self.size;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let note = footer(i + 1, count);
            let bytes = win_ansi(&note);
            page.begin_text();
            page.set_font(REGULAR, 8.0);
            page.next_line((w - width(&note, Face::Regular, 8.0)) / 2.0, 20.0);
            page.show(Str(&bytes));
            page.end_text();
        }

        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(first + 2 * i as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(count as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(title))
            .creator(TextStr("RBPK"));
        for (i, content) in self.pages.into_iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, self.size.0, self.size.1));
            page.parent(tree);
            page.contents(content_id);
            {
                let mut resources = page.resources();
                let mut fonts = resources.fonts();
                fonts.pair(REGULAR, regular);
                fonts.pair(BOLD, bold);
            }
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

/// Text in WinAnsi, the encoding of the built-in fonts: Latin-1's printable
/// characters are their own bytes (WinAnsi agrees with Latin-1 there), the
/// typographic quotes, dashes, ellipsis and euro sign have their WinAnsi
/// bytes, white space is a space, and anything else (Arabic, CJK, emoji, a
/// control character) is `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{a0}'..='\u{ff}' => c as u8,
            '\t' | '\n' | '\r' => b' ',
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths (thousandths of the size) of ASCII 32–126,
/// from its Adobe font metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
    278, 278, 584, 584, 584, 556, 1015, // :;<=>?@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A-Z
    278, 278, 278, 469, 556, 333, // [\]^_`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // a-z
    334, 260, 334, 584, // {|}~
];

/// How wide `text` is set in `face` at `size` points. Bold is measured as
/// Helvetica a tenth wider (its letters are at most that much wider), and
/// a byte beyond ASCII as a wide letter, so a measure is never short.
pub fn width(text: &str, face: Face, size: f32) -> f32 {
    let units: u32 = win_ansi(text)
        .iter()
        .map(|&b| match b {
            32..=126 => u32::from(HELVETICA[usize::from(b - 32)]),
            0x85 | 0x97 => 1000,
            _ => 722,
        })
        .sum();
    let scale = match face {
        Face::Regular => 1.0,
        Face::Bold => 1.1,
    };
    units as f32 / 1000.0 * size * scale
}

/// `text` broken into lines at most `max` wide: at spaces, and inside a word
/// longer than a line.
pub fn wrap(text: &str, face: Face, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, face, size) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word alone wider than the line is cut where it fills it.
        for c in word.chars() {
            let mut next = line.clone();
            next.push(c);
            if !line.is_empty() && width(&next, face, size) > max {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = next;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_outside_win_ansi_become_question_marks() {
        assert_eq!(
            win_ansi("Siti Ṛahmawati 王 😀"),
            b"Siti ?ahmawati ? ?".to_vec()
        );
        assert_eq!(
            win_ansi("Gérard “Ü” – 5€"),
            b"G\xe9rard \x93\xdc\x94 \x96 5\x80".to_vec()
        );
    }

    #[test]
    fn widths_follow_helvetica() {
        assert!((width("1000", Face::Regular, 10.0) - 22.24).abs() < 0.01);
        assert!(width("W", Face::Bold, 10.0) > width("W", Face::Regular, 10.0));
    }

    #[test]
    fn long_text_wraps_within_the_width() {
        let lines = wrap(
            "Jl. Poros Tenggarong Samarinda RT 004 Gang Mawar nomor 17",
            Face::Regular,
            8.0,
            80.0,
        );
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, Face::Regular, 8.0) <= 80.0));
        let word = wrap(&"A".repeat(100), Face::Regular, 8.0, 50.0);
        assert!(word.len() > 1 && word.iter().all(|l| width(l, Face::Regular, 8.0) <= 50.0));
        assert_eq!(wrap("", Face::Regular, 8.0, 50.0), vec![String::new()]);
    }

    #[test]
    fn a_document_is_a_pdf_with_its_pages() {
        let mut pages = Pages::new(A4_LANDSCAPE);
        pages.text(
            40.0,
            500.0,
            Face::Bold,
            12.0,
            "Lampiran (PKS/001/2027) — 王",
        );
        pages.new_page();
        pages.line((40.0, 100.0), (200.0, 100.0), 0.5);
        let pdf = pages.finish("Lampiran", |i, n| format!("Halaman {i} dari {n}"));
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 2"), "{text}");
        assert!(text.contains("(Halaman 2 dari 2)"));
        assert!(text.contains("/WinAnsiEncoding"));
    }
}
