//! The two faces every generated document uses, embedded in the binary (DejaVu Sans: free
//! licence, every Spanish and Western European character, euro sign), and their advances for
//! line breaking.

use std::collections::HashMap;
use std::sync::LazyLock;

use krilla::text::Font;
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

static REGULAR_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../static/fonts/DejaVuSans.ttf"
));
static BOLD_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../static/fonts/DejaVuSans-Bold.ttf"
));

/// A face as krilla draws it and as the layout measures it.
pub struct Face {
    pub font: Font,
    /// Advance of each character at 1 pt. Characters outside the table measure as `fallback`.
    advances: HashMap<char, f32>,
    fallback: f32,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Self {
        let font = Font::new(bytes.into(), 0).expect("embedded font parses");
        let parsed = skrifa::FontRef::new(bytes).expect("embedded font parses");
        let charmap = parsed.charmap();
        let metrics = parsed.glyph_metrics(Size::new(1.0), LocationRef::default());
        // Latin (with every Spanish letter), general punctuation and the euro sign: everything a
        // document of ours writes. A rare character still draws; it only measures as average.
        let ranges = [
            0x20u32..0x250,
            0x2000..0x2070,
            0x20AC..0x20AD,
            0x2116..0x2117,
        ];
        let mut advances = HashMap::new();
        for code in ranges.into_iter().flatten() {
            let Some(ch) = char::from_u32(code) else {
                continue;
            };
            if let Some(width) = charmap.map(ch).and_then(|g| metrics.advance_width(g)) {
                advances.insert(ch, width);
            }
        }
        Self {
            font,
            advances,
            fallback: 0.6,
        }
    }

    /// Width of `text` at `size` points (without kerning: a line measured this way never
    /// overflows, kerning only tightens it).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| *self.advances.get(&c).unwrap_or(&self.fallback))
            .sum::<f32>()
            * size
    }
}

pub struct Faces {
    pub regular: Face,
    pub bold: Face,
}

pub static FACES: LazyLock<Faces> = LazyLock::new(|| Faces {
    regular: Face::load(REGULAR_BYTES),
    bold: Face::load(BOLD_BYTES),
});
