//! The web side of every list: its URL (filters without empty values, the page cursor in one
//! parameter, `pagina`) and the pager under it (previous, next, how many rows match), rendered
//! by `templates/partials/pager.html`.

use crate::listing::{Cursor, Numbered, Page, PageNumber, Total};

/// The query parameter that carries a page cursor, in every list.
pub const PAGE_PARAM: &str = "pagina";

/// The URL of a list state: `path`, the non-empty `pairs` and the cursor, when there is one.
pub fn url(path: &str, pairs: &[(&str, &str)], cursor: Option<Cursor>) -> String {
    page_url(path, pairs, cursor.map(|c| c.to_string()).as_deref())
}

/// The URL of a list state with `page` (a cursor or a number) as the `pagina` parameter.
fn page_url(path: &str, pairs: &[(&str, &str)], page: Option<&str>) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(name, value)| *name != PAGE_PARAM && !value.trim().is_empty())
        .chain(page.map(|p| (PAGE_PARAM, p)))
        .collect();
    let query = serde_urlencoded::to_string(kept).unwrap_or_default();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The links under a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pager {
    pub previous: Option<String>,
    pub next: Option<String>,
    /// "345 resultados", when the list counts.
    pub total: Option<String>,
}

impl Pager {
    /// The pager of `page`, its links made by `link` from a cursor.
    pub fn new<T>(page: &Page<T>, link: impl Fn(Cursor) -> String) -> Pager {
        Pager {
            previous: page.previous.map(&link),
            next: page.next.map(&link),
            total: page.total.map(Total::label),
        }
    }

    /// The pager of a list at `path` with these filters.
    pub fn at<T>(page: &Page<T>, path: &str, pairs: &[(&str, &str)]) -> Pager {
        Pager::new(page, |cursor| url(path, pairs, Some(cursor)))
    }

    /// The pager of a short list paged by number (`more`: there is a next page).
    pub fn numbered(number: PageNumber, more: bool, path: &str, pairs: &[(&str, &str)]) -> Pager {
        let link = |number: PageNumber| {
            let text = (number != PageNumber::FIRST).then(|| number.number().to_string());
            page_url(path, pairs, text.as_deref())
        };
        Pager {
            previous: number.previous().map(link),
            next: more.then(|| link(number.next())),
            total: None,
        }
    }

    /// The pager of a numbered page.
    pub fn of_numbered<T>(page: &Numbered<T>, path: &str, pairs: &[(&str, &str)]) -> Pager {
        Pager::numbered(page.number, page.more, path, pairs)
    }

    /// The same pager with the total written in.
    pub fn with_total(self, total: Total) -> Pager {
        Pager {
            total: Some(total.label()),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_url_keeps_what_is_set_and_one_cursor() {
        assert_eq!(
            url(
                "/admin/clientes",
                &[("q", "pérez"), ("segmento", " "), ("pagina", "tras-3")],
                None
            ),
            "/admin/clientes?q=p%C3%A9rez"
        );
        assert_eq!(
            url("/admin/clientes", &[], Some(Cursor::Before(7))),
            "/admin/clientes?pagina=ante-7"
        );
    }

    #[test]
    fn a_numbered_pager_leaves_the_first_page_bare() {
        let pager = Pager::numbered(PageNumber::new(2), true, "/x", &[("estado", "open")]);
        assert_eq!(pager.previous.as_deref(), Some("/x?estado=open"));
        assert_eq!(pager.next.as_deref(), Some("/x?estado=open&pagina=3"));
        let last = Pager::numbered(PageNumber::FIRST, false, "/x", &[]);
        assert_eq!(last, Pager::default());
    }

    #[test]
    fn the_pager_links_both_ways() {
        let page = Page::assemble(vec![3, 4, 5], Some(Cursor::After(2)), 2, |r| *r)
            .with_total(Total::Exact(9));
        let pager = Pager::at(&page, "/x", &[("q", "a")]);
        assert_eq!(pager.previous.as_deref(), Some("/x?q=a&pagina=ante-3"));
        assert_eq!(pager.next.as_deref(), Some("/x?q=a&pagina=tras-4"));
        assert_eq!(pager.total.as_deref(), Some("9 resultados"));
    }
}
