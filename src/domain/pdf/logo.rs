//! The brokerage's shield (static/icons/logo.svg, 24×24), drawn as vector paths.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, LineCap, Stroke};
use krilla::surface::Surface;

/// Draws the shield with its top-left corner at (`x`, `y`), `size` points wide.
pub fn draw(surface: &mut Surface, x: f32, y: f32, size: f32) {
    let scale = size / 24.0;
    surface.push_transform(&Transform::from_row(scale, 0.0, 0.0, scale, x, y));

    let mut shield = PathBuilder::new();
    shield.move_to(12.0, 1.5);
    shield.line_to(20.5, 4.7);
    shield.line_to(20.5, 10.8);
    shield.cubic_to(20.5, 16.4, 17.0, 20.6, 12.0, 22.5);
    shield.cubic_to(7.0, 20.6, 3.5, 16.4, 3.5, 10.8);
    shield.line_to(3.5, 4.7);
    shield.close();
    if let Some(path) = shield.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(0x0b, 0x3d, 0x6e).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
        surface.draw_path(&path);
    }

    let mut edge = PathBuilder::new();
    edge.move_to(12.0, 3.4);
    edge.line_to(18.8, 6.0);
    edge.line_to(18.8, 10.8);
    edge.cubic_to(18.8, 15.4, 16.0, 18.9, 12.0, 20.6);
    stroke(surface, edge, (0xf5, 0x9e, 0x0b), 1.2);

    let mut letter = PathBuilder::new();
    letter.move_to(14.8, 8.6);
    letter.cubic_to(14.2, 7.7, 13.2, 7.2, 12.0, 7.2);
    letter.cubic_to(10.4, 7.2, 9.2, 8.1, 9.2, 9.4);
    letter.cubic_to(9.2, 12.3, 15.0, 11.3, 15.0, 14.5);
    letter.cubic_to(15.0, 15.9, 13.7, 16.8, 12.0, 16.8);
    letter.cubic_to(10.7, 16.8, 9.5, 16.2, 8.9, 15.2);
    stroke(surface, letter, (0xff, 0xff, 0xff), 2.0);

    surface.pop();
}

fn stroke(surface: &mut Surface, path: PathBuilder, color: (u8, u8, u8), width: f32) {
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(color.0, color.1, color.2).into(),
            width,
            line_cap: LineCap::Round,
            ..Default::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}
