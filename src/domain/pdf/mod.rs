//! The PDFs the brokerage sends: a small document model (headings, paragraphs, label/value
//! lists, tables) laid out on A4 with the brokerage's letterhead and footer on every page, and
//! written by krilla as a tagged PDF (headings, paragraphs and tables in the structure tree;
//! letterhead and footer as artifacts) with its fonts embedded and subset.
//!
//! krilla was chosen over typst-as-a-library after trying both: typst lays out far more than
//! these documents need, pulls in a compiler and a world of files, and costs minutes of build
//! on two cores; krilla is the PDF writer under typst, small, pure Rust, with tagging. The
//! price is the line breaking and pagination below (a few hundred lines, all tested).
//!
//! The output depends only on the [`Doc`] and the [`Letterhead`]: no clock, no random id, so
//! the same data gives the same bytes (and the same SHA-256).

mod fonts;
mod logo;

use std::num::NonZeroU16;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::text::TextDirection;

use fonts::{FACES, Face};

/// Who sends the document: printed on every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    pub name: String,
    pub tax_id: String,
    pub dgsfp_key: String,
    pub address: String,
    pub complaints_email: String,
    /// Invented development data: every page says so.
    pub example: bool,
}

impl From<&crate::distribution::precontract::BrokerIdentity> for Letterhead {
    fn from(broker: &crate::distribution::precontract::BrokerIdentity) -> Self {
        Self {
            name: broker.name.clone(),
            tax_id: broker.tax_id.clone(),
            dgsfp_key: broker.dgsfp_key.clone(),
            address: broker.address.clone(),
            complaints_email: broker.complaints_email.clone(),
            example: broker.example,
        }
    }
}

/// One document: a title, the reference line under it, and its blocks in reading order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    pub title: String,
    /// "Presupuesto P-2026-000123 · Emitido el 7 de diciembre de 2026".
    pub reference: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// Smaller grey text: legal notes, definitions.
    Note(String),
    /// Label and value pairs, two columns.
    Fields(Vec<(String, String)>),
    Table(Table),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// A last row in bold (totals), if any.
    pub total: Option<Vec<String>>,
    /// The first column heads each row (a comparison: options side by side).
    pub row_headers: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// Share of the text width; the shares of a table add up to 1.
    pub share: f32,
    pub right: bool,
}

impl Column {
    pub fn left(header: &str, share: f32) -> Self {
        Self {
            header: header.to_owned(),
            share,
            right: false,
        }
    }

    pub fn right(header: &str, share: f32) -> Self {
        Self {
            header: header.to_owned(),
            share,
            right: true,
        }
    }
}

impl Doc {
    pub fn new(title: impl Into<String>, reference: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            reference: reference.into(),
            blocks: Vec::new(),
        }
    }

    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(text.into()));
        self
    }

    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Note(text.into()));
        self
    }

    pub fn fields<L: Into<String>, V: Into<String>>(
        &mut self,
        pairs: impl IntoIterator<Item = (L, V)>,
    ) -> &mut Self {
        self.blocks.push(Block::Fields(
            pairs
                .into_iter()
                .map(|(l, v)| (l.into(), v.into()))
                .collect(),
        ));
        self
    }

    pub fn table(&mut self, table: Table) -> &mut Self {
        self.blocks.push(Block::Table(table));
        self
    }
}

// A4 in points, and the page's furniture.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
const BODY_TOP: f32 = 118.0;
const BODY_BOTTOM: f32 = 780.0;
const FOOTER_RULE: f32 = 792.0;

const BODY: f32 = 9.5;
const NOTE: f32 = 8.0;
const CELL: f32 = 8.5;
const CELL_PAD: f32 = 4.0;

const INK: (u8, u8, u8) = (0x1f, 0x29, 0x37);
const GREY: (u8, u8, u8) = (0x4b, 0x55, 0x63);
const BRAND: (u8, u8, u8) = (0x0b, 0x3d, 0x6e);
const RULE: (u8, u8, u8) = (0xc8, 0xcf, 0xd8);
const SHADE: (u8, u8, u8) = (0xee, 0xf2, 0xf7);

#[derive(Clone, Copy)]
enum Weight {
    Regular,
    Bold,
}

impl Weight {
    fn face(self) -> &'static Face {
        match self {
            Weight::Regular => &FACES.regular,
            Weight::Bold => &FACES.bold,
        }
    }
}

/// Something drawn on a page. Text carries the leaf of the structure tree it belongs to.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        color: (u8, u8, u8),
        text: String,
        leaf: Option<usize>,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
    },
    Shade {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// The structure tree as laid out: groups of leaves (each leaf one drawn line of text).
enum Node {
    Group(TagKind, Vec<Node>),
    Leaf(usize),
}

struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
    leaves: usize,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: BODY_TOP,
            leaves: 0,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = BODY_TOP;
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn room_for(&mut self, height: f32) -> bool {
        if self.y + height > BODY_BOTTOM && self.y > BODY_TOP {
            self.new_page();
            return false;
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f32,
        baseline: f32,
        size: f32,
        weight: Weight,
        color: (u8, u8, u8),
        text: String,
        tagged: bool,
    ) -> Option<usize> {
        let leaf = tagged.then(|| {
            self.leaves += 1;
            self.leaves - 1
        });
        self.ops().push(Op::Text {
            x,
            y: baseline,
            size,
            weight,
            color,
            text,
            leaf,
        });
        leaf
    }

    /// A wrapped paragraph; its lines go into one group of the tree.
    fn lines(&mut self, text: &str, size: f32, weight: Weight, color: (u8, u8, u8)) -> Vec<Node> {
        let leading = size * 1.4;
        let mut leaves = Vec::new();
        for line in wrap(text, weight.face(), size, TEXT_W) {
            self.room_for(leading);
            let baseline = self.y + size;
            if let Some(leaf) = self.text(MARGIN, baseline, size, weight, color, line, true) {
                leaves.push(Node::Leaf(leaf));
            }
            self.y += leading;
        }
        leaves
    }
}

/// Greedy line breaking on spaces (a word longer than the line is cut by characters); explicit
/// line breaks are kept.
fn wrap(text: &str, face: &Face, size: f32, width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            let mut word_width = face.width(&word, size);
            while word_width > width {
                // Cut an overlong word (an IBAN without spaces, a long e-mail address).
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                let mut head = String::new();
                for c in word.chars() {
                    if face.width(&head, size) + face.width(&c.to_string(), size) > width {
                        break;
                    }
                    head.push(c);
                }
                if head.is_empty() {
                    break;
                }
                word = word[head.len()..].to_owned();
                word_width = face.width(&word, size);
                lines.push(head);
            }
            if word.is_empty() {
                continue;
            }
            if line.is_empty() {
                line = word;
                line_width = word_width;
            } else if line_width + space + word_width <= width {
                line.push(' ');
                line.push_str(&word);
                line_width += space + word_width;
            } else {
                lines.push(std::mem::replace(&mut line, word));
                line_width = word_width;
            }
        }
        if !line.is_empty() || paragraph.trim().is_empty() {
            lines.push(line);
        }
    }
    lines
}

fn lay_out(doc: &Doc) -> (Layout, Vec<Node>) {
    let mut layout = Layout::new();
    let mut tree = Vec::new();
    let title = layout.lines(&doc.title, 16.0, Weight::Bold, BRAND);
    tree.push(Node::Group(heading(1, &doc.title), title));
    if !doc.reference.is_empty() {
        let reference = layout.lines(&doc.reference, BODY, Weight::Regular, GREY);
        tree.push(Node::Group(Tag::P.into(), reference));
    }
    layout.y += 6.0;
    for block in &doc.blocks {
        match block {
            Block::Heading(text) => {
                layout.y += 8.0;
                // Keep a heading with at least two lines of what follows.
                layout.room_for(12.0 * 1.4 + 3.0 * BODY * 1.4);
                let lines = layout.lines(text, 12.0, Weight::Bold, BRAND);
                tree.push(Node::Group(heading(2, text), lines));
                layout.y += 2.0;
            }
            Block::Paragraph(text) => {
                let lines = layout.lines(text, BODY, Weight::Regular, INK);
                tree.push(Node::Group(Tag::P.into(), lines));
                layout.y += 4.0;
            }
            Block::Note(text) => {
                let lines = layout.lines(text, NOTE, Weight::Regular, GREY);
                tree.push(Node::Group(Tag::P.into(), lines));
                layout.y += 4.0;
            }
            Block::Fields(pairs) => {
                tree.push(fields(&mut layout, pairs));
                layout.y += 4.0;
            }
            Block::Table(table) => {
                tree.push(self::table(&mut layout, table));
                layout.y += 6.0;
            }
        }
    }
    (layout, tree)
}

fn heading(level: u16, text: &str) -> TagKind {
    Tag::Hn(
        NonZeroU16::new(level).expect("a level is at least 1"),
        Some(text.to_owned()),
    )
    .into()
}

/// Label and value pairs as a two-column table (label 35 %), so a screen reader reads them
/// as pairs.
fn fields(layout: &mut Layout, pairs: &[(String, String)]) -> Node {
    let label_w = TEXT_W * 0.35;
    let value_w = TEXT_W - label_w;
    let leading = BODY * 1.4;
    let mut rows = Vec::new();
    for (label, value) in pairs {
        let label_lines = wrap(label, &FACES.bold, BODY, label_w - 8.0);
        let value_lines = wrap(value, &FACES.regular, BODY, value_w);
        let height = label_lines.len().max(value_lines.len()) as f32 * leading;
        layout.room_for(height);
        let top = layout.y;
        let mut label_leaves = Vec::new();
        for (i, line) in label_lines.into_iter().enumerate() {
            let baseline = top + i as f32 * leading + BODY;
            if let Some(leaf) = layout.text(MARGIN, baseline, BODY, Weight::Bold, GREY, line, true)
            {
                label_leaves.push(Node::Leaf(leaf));
            }
        }
        let mut value_leaves = Vec::new();
        for (i, line) in value_lines.into_iter().enumerate() {
            let baseline = top + i as f32 * leading + BODY;
            let x = MARGIN + label_w;
            if let Some(leaf) = layout.text(x, baseline, BODY, Weight::Regular, INK, line, true) {
                value_leaves.push(Node::Leaf(leaf));
            }
        }
        layout.y = top + height + 1.5;
        rows.push(Node::Group(
            Tag::TR.into(),
            vec![
                Node::Group(Tag::TH(TableHeaderScope::Row).into(), label_leaves),
                Node::Group(Tag::TD.into(), value_leaves),
            ],
        ));
    }
    Node::Group(Tag::Table.into(), rows)
}

/// A table with a shaded header row, repeated (as an artifact) on every page it crosses.
fn table(layout: &mut Layout, table: &Table) -> Node {
    let widths: Vec<f32> = table.columns.iter().map(|c| c.share * TEXT_W).collect();
    let leading = CELL * 1.35;
    let header_cells: Vec<Vec<String>> = table
        .columns
        .iter()
        .zip(&widths)
        .map(|(c, w)| wrap(&c.header, &FACES.bold, CELL, w - 2.0 * CELL_PAD))
        .collect();
    let header_height =
        header_cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + 2.0 * CELL_PAD;

    let draw_header = |layout: &mut Layout, tagged: bool| -> Vec<Node> {
        let top = layout.y;
        layout.ops().push(Op::Shade {
            x: MARGIN,
            y: top,
            w: TEXT_W,
            h: header_height,
        });
        let mut cells = Vec::new();
        let mut x = MARGIN;
        for ((column, lines), width) in table.columns.iter().zip(&header_cells).zip(&widths) {
            let mut leaves = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let baseline = top + CELL_PAD + i as f32 * leading + CELL;
                let tx = aligned(x, *width, line, &FACES.bold, CELL, column.right);
                if let Some(leaf) =
                    layout.text(tx, baseline, CELL, Weight::Bold, INK, line.clone(), tagged)
                {
                    leaves.push(Node::Leaf(leaf));
                }
            }
            cells.push(Node::Group(
                Tag::TH(TableHeaderScope::Column).into(),
                leaves,
            ));
            x += width;
        }
        layout.y = top + header_height;
        cells
    };

    layout.room_for(header_height + leading + 2.0 * CELL_PAD);
    let header = draw_header(layout, true);
    let mut rows = vec![Node::Group(
        Tag::THead.into(),
        vec![Node::Group(Tag::TR.into(), header)],
    )];
    let mut body = Vec::new();
    let all_rows = table
        .rows
        .iter()
        .map(|r| (r, false))
        .chain(table.total.iter().map(|r| (r, true)));
    for (row, is_total) in all_rows {
        let cells: Vec<(Vec<String>, Weight)> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (text, w))| {
                let weight = if is_total || (table.row_headers && i == 0) {
                    Weight::Bold
                } else {
                    Weight::Regular
                };
                (wrap(text, weight.face(), CELL, w - 2.0 * CELL_PAD), weight)
            })
            .collect();
        let height =
            cells.iter().map(|c| c.0.len()).max().unwrap_or(1) as f32 * leading + 2.0 * CELL_PAD;
        if !layout.room_for(height) {
            draw_header(layout, false);
        }
        let top = layout.y;
        let mut x = MARGIN;
        let mut row_nodes = Vec::new();
        for (i, (((lines, weight), column), width)) in cells
            .into_iter()
            .zip(&table.columns)
            .zip(&widths)
            .enumerate()
        {
            let mut leaves = Vec::new();
            for (j, line) in lines.into_iter().enumerate() {
                let baseline = top + CELL_PAD + j as f32 * leading + CELL;
                let tx = aligned(x, *width, &line, weight.face(), CELL, column.right);
                if let Some(leaf) = layout.text(tx, baseline, CELL, weight, INK, line, true) {
                    leaves.push(Node::Leaf(leaf));
                }
            }
            let tag: TagKind = if table.row_headers && i == 0 {
                Tag::TH(TableHeaderScope::Row).into()
            } else {
                Tag::TD.into()
            };
            row_nodes.push(Node::Group(tag, leaves));
            x += width;
        }
        layout.y = top + height;
        let y = layout.y;
        layout.ops().push(Op::Rule {
            x1: MARGIN,
            x2: MARGIN + TEXT_W,
            y,
        });
        body.push(Node::Group(Tag::TR.into(), row_nodes));
    }
    rows.push(Node::Group(Tag::TBody.into(), body));
    Node::Group(Tag::Table.into(), rows)
}

fn aligned(x: f32, width: f32, text: &str, face: &Face, size: f32, right: bool) -> f32 {
    if right {
        x + width - CELL_PAD - face.width(text, size)
    } else {
        x + CELL_PAD
    }
}

fn fill(color: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw_text(
    surface: &mut Surface,
    x: f32,
    y: f32,
    size: f32,
    weight: Weight,
    color: (u8, u8, u8),
    text: &str,
) {
    surface.set_fill(Some(fill(color)));
    surface.draw_text(
        Point::from_xy(x, y),
        weight.face().font.clone(),
        size,
        text,
        false,
        TextDirection::Auto,
    );
}

fn draw_rule(surface: &mut Surface, x1: f32, x2: f32, y: f32, color: (u8, u8, u8)) {
    let mut path = PathBuilder::new();
    path.move_to(x1, y);
    path.line_to(x2, y);
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(color.0, color.1, color.2).into(),
            width: 0.6,
            ..Default::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

fn draw_shade(surface: &mut Surface, x: f32, y: f32, w: f32, h: f32) {
    let mut path = PathBuilder::new();
    path.move_to(x, y);
    path.line_to(x + w, y);
    path.line_to(x + w, y + h);
    path.line_to(x, y + h);
    path.close();
    if let Some(path) = path.finish() {
        surface.set_fill(Some(fill(SHADE)));
        surface.draw_path(&path);
    }
}

/// The letterhead: logo, name, tax id, registry key and address; a rule under it.
fn letterhead(surface: &mut Surface, head: &Letterhead) {
    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
        ArtifactType::Header,
    )));
    logo::draw(surface, MARGIN, 40.0, 34.0);
    draw_text(
        surface,
        MARGIN + 44.0,
        56.0,
        11.5,
        Weight::Bold,
        BRAND,
        &head.name,
    );
    let identity = format!(
        "CIF {} · Clave DGSFP {} · {}",
        head.tax_id, head.dgsfp_key, head.address
    );
    draw_text(
        surface,
        MARGIN + 44.0,
        70.0,
        8.0,
        Weight::Regular,
        GREY,
        &identity,
    );
    draw_rule(surface, MARGIN, MARGIN + TEXT_W, 92.0, RULE);
    surface.end_tagged();
}

/// The footer: where to complain, whether the identity is an example, and "Página n de N".
fn footer(surface: &mut Surface, head: &Letterhead, page: usize, pages: usize) {
    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
        ArtifactType::Footer,
    )));
    draw_rule(surface, MARGIN, MARGIN + TEXT_W, FOOTER_RULE, RULE);
    let mut complaints = format!(
        "Servicio de atención al cliente: {} · Corredor de seguros inscrito en la DGSFP con la clave {}",
        head.complaints_email, head.dgsfp_key
    );
    if head.example {
        complaints.push_str(" · Datos de ejemplo");
    }
    let size = 7.0;
    let number = format!("Página {page} de {pages}");
    let number_w = FACES.regular.width(&number, size);
    let lines = wrap(&complaints, &FACES.regular, size, TEXT_W - number_w - 16.0);
    for (i, line) in lines.iter().enumerate() {
        draw_text(
            surface,
            MARGIN,
            FOOTER_RULE + 12.0 + i as f32 * 9.0,
            size,
            Weight::Regular,
            GREY,
            line,
        );
    }
    draw_text(
        surface,
        MARGIN + TEXT_W - number_w,
        FOOTER_RULE + 12.0,
        size,
        Weight::Regular,
        GREY,
        &number,
    );
    surface.end_tagged();
}

/// Why a PDF could not be written (a bug, not a user error: the input is our own data).
#[derive(Debug)]
pub struct RenderError(String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write the PDF: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

/// Writes `doc` as a PDF.
pub fn render(doc: &Doc, head: &Letterhead) -> Result<Vec<u8>, RenderError> {
    let (layout, tree) = lay_out(doc);
    let pages = layout.pages.len();
    let mut identifiers: Vec<Option<Identifier>> = (0..layout.leaves).map(|_| None).collect();
    let mut document = Document::new();
    for (index, ops) in layout.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        letterhead(&mut surface, head);
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    color,
                    text,
                    leaf,
                } => match leaf {
                    Some(leaf) => {
                        let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
                        draw_text(&mut surface, *x, *y, *size, *weight, *color, text);
                        surface.end_tagged();
                        identifiers[*leaf] = Some(id);
                    }
                    None => {
                        // A header row repeated on a new page.
                        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                            ArtifactType::PaginationOther,
                        )));
                        draw_text(&mut surface, *x, *y, *size, *weight, *color, text);
                        surface.end_tagged();
                    }
                },
                Op::Rule { x1, x2, y } => {
                    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                        ArtifactType::Layout,
                    )));
                    draw_rule(&mut surface, *x1, *x2, *y, RULE);
                    surface.end_tagged();
                }
                Op::Shade { x, y, w, h } => {
                    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                        ArtifactType::Layout,
                    )));
                    draw_shade(&mut surface, *x, *y, *w, *h);
                    surface.end_tagged();
                }
            }
        }
        footer(&mut surface, head, index + 1, pages);
        surface.finish();
        page.finish();
    }
    // The tree's root is the document itself.
    let mut tag_tree = TagTree::new();
    for node in tree {
        if let Some(node) = into_tag(node, &mut identifiers) {
            tag_tree.push(node);
        }
    }
    document.set_tag_tree(tag_tree);
    document.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language("es-ES".to_owned())
            .authors(vec![head.name.clone()])
            .creator("Soriano".to_owned()),
    );
    document.finish().map_err(|e| RenderError(format!("{e:?}")))
}

fn into_tag(node: Node, identifiers: &mut [Option<Identifier>]) -> Option<krilla::tagging::Node> {
    match node {
        Node::Leaf(leaf) => identifiers[leaf].take().map(Into::into),
        Node::Group(kind, children) => {
            let mut group = TagGroup::new(kind);
            for child in children {
                if let Some(child) = into_tag(child, identifiers) {
                    group.push(child);
                }
            }
            Some(group.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letterhead() -> Letterhead {
        (&crate::distribution::precontract::BrokerIdentity::development()).into()
    }

    fn sample(rows: usize) -> Doc {
        let mut doc = Doc::new(
            "Presupuesto de seguro",
            "Presupuesto P-2026-000001 · Emitido el 7 de diciembre de 2026",
        );
        doc.heading("Tomador")
            .fields([("Nombre", "José Ángel Muñoz Peña"), ("NIF", "12345678Z")])
            .paragraph("Le ofrecemos las siguientes opciones, comparadas según sus necesidades. ".repeat(6))
            .table(Table {
                columns: vec![
                    Column::left("Aseguradora", 0.4),
                    Column::left("Coberturas", 0.4),
                    Column::right("Prima anual", 0.2),
                ],
                rows: (0..rows)
                    .map(|i| {
                        vec![
                            format!("Compañía {i}"),
                            "Responsabilidad civil, lunas, asistencia en viaje".to_owned(),
                            "1.234,56 €".to_owned(),
                        ]
                    })
                    .collect(),
                total: None,
                row_headers: true,
            })
            .note("Nota: IBAN ES9121000418450200051332 sin espacios ES91210004184502000513329121000418450200051332");
        doc
    }

    #[test]
    fn lines_break_at_spaces_within_the_width() {
        let face = &FACES.regular;
        let lines = wrap(&"palabra ".repeat(40), face, 10.0, 200.0);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(face.width(line, 10.0) <= 200.0, "{line}");
            assert!(!line.starts_with(' ') && !line.ends_with(' '));
        }
        let long = wrap(&"X".repeat(200), face, 10.0, 100.0);
        assert!(long.len() > 1, "an overlong word is cut");
        assert_eq!(
            long.concat(),
            "X".repeat(200),
            "nothing is lost when cutting"
        );
    }

    #[test]
    fn a_document_renders_the_same_bytes_twice() {
        let first = render(&sample(3), &letterhead()).unwrap();
        assert!(first.starts_with(b"%PDF-"));
        let second = render(&sample(3), &letterhead()).unwrap();
        assert_eq!(first, second, "same data, same bytes");
    }

    #[test]
    fn long_tables_flow_onto_more_pages() {
        let (layout, _) = lay_out(&sample(80));
        assert!(layout.pages.len() >= 2, "{} pages", layout.pages.len());
        let pdf = render(&sample(80), &letterhead()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Ok(path) = std::env::var("SORIANO_PDF_SAMPLE") {
            std::fs::write(path, &pdf).unwrap();
        }
    }
}
