//! What every list shares: the page size, the keyset cursor (one value for "the rows after this
//! one" and "the rows before it"), the assembled page with its previous and next cursors, the
//! total (counted exactly up to a cap, so a filter over 100,000 rows never scans them all just
//! to print a number) and the escaping of typed text in LIKE patterns.
//!
//! A list query takes a [`Cursor`], filters with [`Cursor::comparison`] against the key of the
//! cursor row, orders by [`Cursor::direction`], fetches [`PAGE_SIZE`] + 1 rows and hands them to
//! [`Page::assemble`], which turns a backward read round and works out both neighbours.

use std::fmt;
use std::str::FromStr;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Json};

/// Rows per page of every back-office list.
pub const PAGE_SIZE: i64 = 50;

/// Rows per page of the short lists read on a phone (the client's own records) or with large
/// rows (posts, landings, message threads).
pub const SHORT_PAGE_SIZE: i64 = 25;

/// Totals up to this are counted exactly; above it the planner's estimate is shown ("unos
/// 98.000"), so a list over 100,000 rows never reads them all just to print a number.
pub const EXACT_COUNT_CAP: i64 = 1_000;

/// Where a page starts: after or before the row with this id (in the list's own order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    After(i64),
    Before(i64),
}

/// The order a page is read in: a backward page is read in the reverse order and turned round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

impl Cursor {
    /// The id of the row the page is read from.
    pub fn id(self) -> i64 {
        match self {
            Cursor::After(id) | Cursor::Before(id) => id,
        }
    }

    pub fn direction(cursor: Option<Cursor>) -> Direction {
        match cursor {
            Some(Cursor::Before(_)) => Direction::Backward,
            _ => Direction::Forward,
        }
    }

    /// The SQL comparison with the cursor row's key for a list in ascending (`ascending`) or
    /// descending order: `>` reads on in an ascending list, `<` reads back.
    pub fn comparison(self, ascending: bool) -> &'static str {
        match (self, ascending) {
            (Cursor::After(_), true) | (Cursor::Before(_), false) => ">",
            (Cursor::After(_), false) | (Cursor::Before(_), true) => "<",
        }
    }
}

impl Direction {
    /// Whether the query sorts ascending, for a list whose order is `ascending` when read
    /// forward.
    pub fn ascending(self, ascending: bool) -> bool {
        match self {
            Direction::Forward => ascending,
            Direction::Backward => !ascending,
        }
    }
}

/// In the URL a cursor is one value of one parameter (`pagina`): `tras-812` for the rows after
/// row 812, `ante-812` for those before it.
impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cursor::After(id) => write!(f, "tras-{id}"),
            Cursor::Before(id) => write!(f, "ante-{id}"),
        }
    }
}

impl FromStr for Cursor {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (kind, id) = text.trim().split_once('-').ok_or(())?;
        let id: i64 = id.parse().map_err(|_| ())?;
        if id <= 0 {
            return Err(());
        }
        match kind {
            "tras" => Ok(Cursor::After(id)),
            "ante" => Ok(Cursor::Before(id)),
            _ => Err(()),
        }
    }
}

impl Cursor {
    /// The cursor in a query string, where anything unreadable means the first page.
    pub fn parse(text: &str) -> Option<Cursor> {
        text.parse().ok()
    }
}

/// A page of a short list (a person's tasks, the staff accounts, a client's own policies):
/// numbered from 1 and read by offset, where a keyset would buy nothing. In the URL it is the
/// same `pagina` parameter, with a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageNumber(i64);

impl PageNumber {
    pub const FIRST: PageNumber = PageNumber(1);
    /// Further than anyone pages by hand; keeps offsets small.
    const LAST: i64 = 10_000;

    /// The number in a query string; anything else is the first page.
    pub fn parse(text: &str) -> PageNumber {
        PageNumber(text.trim().parse::<i64>().unwrap_or(1).clamp(1, Self::LAST))
    }

    pub fn new(number: i64) -> PageNumber {
        PageNumber(number.clamp(1, Self::LAST))
    }

    pub fn number(self) -> i64 {
        self.0
    }

    /// Rows before this page, at `size` rows a page.
    pub fn offset(self, size: i64) -> i64 {
        (self.0 - 1) * size
    }

    pub fn previous(self) -> Option<PageNumber> {
        (self.0 > 1).then(|| PageNumber(self.0 - 1))
    }

    pub fn next(self) -> PageNumber {
        PageNumber(self.0 + 1)
    }
}

impl Default for PageNumber {
    fn default() -> Self {
        PageNumber::FIRST
    }
}

/// One numbered page of a short list, and whether another follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Numbered<T> {
    pub rows: Vec<T>,
    pub number: PageNumber,
    pub more: bool,
}

impl<T> Numbered<T> {
    /// Builds the page from at most `size + 1` rows read at `number.offset(size)`.
    pub fn assemble(mut rows: Vec<T>, number: PageNumber, size: i64) -> Numbered<T> {
        let more = rows.len() as i64 > size;
        rows.truncate(size.max(0) as usize);
        Numbered { rows, number, more }
    }
}

/// How many rows match a list's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    /// More than [`EXACT_COUNT_CAP`]: the planner's estimate, rounded.
    About(i64),
}

impl Total {
    /// "1 resultado", "345 resultados", "unos 98.000 resultados".
    pub fn label(self) -> String {
        self.counted("resultado", "resultados")
    }

    /// The total of things called `singular`/`plural`: "1 lead", "60 leads", "unos 98.000 leads".
    pub fn counted(self, singular: &str, plural: &str) -> String {
        match self {
            Total::Exact(1) => format!("1 {singular}"),
            Total::Exact(n) => format!("{} {plural}", crate::format::thousands(n)),
            Total::About(n) => format!("unos {} {plural}", crate::format::thousands(n)),
        }
    }

    /// An estimate rounded to two significant figures, never below what was counted.
    fn about(estimate: i64) -> Total {
        let estimate = estimate.max(EXACT_COUNT_CAP + 1);
        let mut unit = 1;
        while estimate / unit >= 100 {
            unit *= 10;
        }
        Total::About((estimate / unit).max(1) * unit)
    }
}

/// Counts the rows `query` (a select with its filters, without order or limit) returns: exactly
/// up to [`EXACT_COUNT_CAP`] (`SELECT count(*) FROM (… LIMIT cap + 1)`, at most a thousand
/// index entries read), otherwise from the planner's row estimate of the same statement.
/// `query` builds the statement (a boxed query cannot be cloned, and it may be needed twice).
pub fn count<Q>(conn: &mut PgConnection, query: impl Fn() -> Q) -> QueryResult<Total>
where
    Q: QueryFragment<Pg> + QueryId,
{
    let rows: i64 = CappedCount(query()).get_result(conn)?;
    if rows <= EXACT_COUNT_CAP {
        return Ok(Total::Exact(rows));
    }
    Ok(Total::about(estimate(conn, query())?))
}

/// Counts like [`count`], but asks the planner first: when it expects more than `dense` rows,
/// its estimate is the total and nothing is counted. For filters whose estimates are good (the
/// name search's whole lexemes have their own statistics), where counting even a thousand
/// rows of a common word means checking thousands more that do not match.
pub fn count_unless_dense<Q>(
    conn: &mut PgConnection,
    dense: i64,
    query: impl Fn() -> Q,
) -> QueryResult<Total>
where
    Q: QueryFragment<Pg> + QueryId,
{
    let expected = estimate(conn, query())?;
    if expected > dense {
        return Ok(Total::about(expected));
    }
    let rows: i64 = CappedCount(query()).get_result(conn)?;
    if rows <= EXACT_COUNT_CAP {
        return Ok(Total::Exact(rows));
    }
    Ok(Total::about(expected))
}

/// The planner's estimate of the rows `query` returns.
fn estimate<Q>(conn: &mut PgConnection, query: Q) -> QueryResult<i64>
where
    Q: QueryFragment<Pg> + QueryId,
{
    let plan: serde_json::Value = Explain(query).get_result(conn)?;
    Ok(plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0) as i64)
}

/// `SELECT count(*) FROM (<query> LIMIT cap + 1) AS capped`.
#[derive(Debug, QueryId)]
struct CappedCount<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for CappedCount<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT count(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&(EXACT_COUNT_CAP + 1).to_string());
        out.push_sql(") AS capped");
        Ok(())
    }
}

impl<Q> Query for CappedCount<Q> {
    type SqlType = BigInt;
}

impl<Q> RunQueryDsl<PgConnection> for CappedCount<Q> {}

/// `EXPLAIN (FORMAT JSON) <query>`, with the query's own bind parameters.
#[derive(Debug, QueryId)]
struct Explain<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN (FORMAT JSON) ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> Query for Explain<Q> {
    type SqlType = Json;
}

impl<Q> RunQueryDsl<PgConnection> for Explain<Q> {}

/// One page of a list: its rows in the list's order and the cursors of its neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub previous: Option<Cursor>,
    pub next: Option<Cursor>,
    /// How many rows match, when the list counts them.
    pub total: Option<Total>,
}

impl<T> Page<T> {
    /// Builds a page from at most `size + 1` rows read from `cursor` in its direction (the
    /// extra row only says there is more that way). `id` gives a row's cursor id.
    pub fn assemble(
        mut rows: Vec<T>,
        cursor: Option<Cursor>,
        size: i64,
        id: impl Fn(&T) -> i64,
    ) -> Page<T> {
        let more = rows.len() as i64 > size;
        rows.truncate(size.max(0) as usize);
        match cursor {
            Some(Cursor::Before(_)) => {
                rows.reverse();
                Page {
                    previous: more
                        .then(|| rows.first().map(|r| Cursor::Before(id(r))))
                        .flatten(),
                    // The cursor row itself comes after this page.
                    next: rows.last().map(|r| Cursor::After(id(r))),
                    rows,
                    total: None,
                }
            }
            _ => Page {
                previous: cursor.and_then(|_| rows.first().map(|r| Cursor::Before(id(r)))),
                next: more
                    .then(|| rows.last().map(|r| Cursor::After(id(r))))
                    .flatten(),
                rows,
                total: None,
            },
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            previous: self.previous,
            next: self.next,
            total: self.total,
        }
    }

    pub fn with_total(self, total: Total) -> Page<T> {
        Page {
            total: Some(total),
            ..self
        }
    }
}

/// Reads a whole list from its first row, `chunk` rows per statement by the list's own keyset
/// cursor, until its last row or `limit` rows; each row goes to `sink` as it comes. An export of
/// 100,000 rows holds one chunk in memory. `read(cursor, size)` is the list's page read.
/// Returns how many rows were read.
pub fn read_in_chunks<T, E>(
    limit: i64,
    chunk: i64,
    mut read: impl FnMut(Option<Cursor>, i64) -> QueryResult<Page<T>>,
    mut sink: impl FnMut(T) -> Result<(), E>,
) -> Result<i64, E>
where
    E: From<diesel::result::Error>,
{
    let mut cursor = None;
    let mut count = 0;
    loop {
        let size = chunk.min(limit - count);
        if size <= 0 {
            return Ok(count);
        }
        let page = read(cursor, size)?;
        for row in page.rows {
            sink(row)?;
            count += 1;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(count),
        }
    }
}

/// Typed text as a literal inside a LIKE pattern (`\`, `%` and `_` escaped; PostgreSQL's
/// default escape character is `\`).
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The LIKE pattern of rows containing `text` anywhere.
pub fn contains(text: &str) -> String {
    format!("%{}%", like_escape(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of ids 1..=n read as pages from a cursor, as a list query does.
    fn page_of(n: i64, cursor: Option<Cursor>, size: i64) -> Page<i64> {
        let from = cursor.map_or(1, |c| c.id() + 1);
        let rows: Vec<i64> = (from..=n).take(size as usize + 1).collect();
        Page::assemble(rows, cursor, size, |id| *id)
    }

    #[test]
    fn reading_in_chunks_gives_every_row_once_in_order_up_to_the_limit() {
        for (n, limit, chunk) in [
            (2_345, 100_000, 1_000),
            (2_000, 100_000, 1_000),
            (0, 10, 3),
            (10, 7, 3),
        ] {
            let mut seen = Vec::new();
            let mut reads = 0;
            let count = read_in_chunks::<_, diesel::result::Error>(
                limit,
                chunk,
                |cursor, size| {
                    reads += 1;
                    Ok(page_of(n, cursor, size))
                },
                |id| {
                    seen.push(id);
                    Ok(())
                },
            )
            .unwrap();
            let expected: Vec<i64> = (1..=n.min(limit)).collect();
            assert_eq!(seen, expected, "{n} rows, limit {limit}");
            assert_eq!(count, n.min(limit));
            assert!(reads <= n.min(limit) / chunk + 1, "{n}: {reads} reads");
        }
    }

    #[test]
    fn a_cursor_reads_back_what_it_writes_and_nothing_else() {
        for cursor in [Cursor::After(812), Cursor::Before(3)] {
            assert_eq!(Cursor::parse(&cursor.to_string()), Some(cursor));
        }
        for junk in ["", "812", "tras-", "tras-0", "ante--4", "luego-5", "tras-x"] {
            assert_eq!(Cursor::parse(junk), None, "{junk}");
        }
    }

    #[test]
    fn a_forward_page_points_back_only_when_it_is_not_the_first() {
        let first = Page::assemble(vec![1, 2, 3], None, 2, |r| *r);
        assert_eq!(first.rows, vec![1, 2]);
        assert_eq!(first.previous, None);
        assert_eq!(first.next, Some(Cursor::After(2)));

        let last = Page::assemble(vec![3], Some(Cursor::After(2)), 2, |r| *r);
        assert_eq!(last.previous, Some(Cursor::Before(3)));
        assert_eq!(last.next, None);
    }

    #[test]
    fn a_backward_page_is_turned_round_and_always_has_a_next() {
        // Read in reverse from before row 5: 4, 3, and 2 says there is more.
        let page = Page::assemble(vec![4, 3, 2], Some(Cursor::Before(5)), 2, |r| *r);
        assert_eq!(page.rows, vec![3, 4]);
        assert_eq!(page.previous, Some(Cursor::Before(3)));
        assert_eq!(page.next, Some(Cursor::After(4)));

        let first = Page::assemble(vec![2, 1], Some(Cursor::Before(3)), 2, |r| *r);
        assert_eq!(first.rows, vec![1, 2]);
        assert_eq!(first.previous, None);
    }

    #[test]
    fn comparisons_follow_the_order_and_the_direction() {
        assert_eq!(Cursor::After(1).comparison(true), ">");
        assert_eq!(Cursor::After(1).comparison(false), "<");
        assert_eq!(Cursor::Before(1).comparison(true), "<");
        assert_eq!(Cursor::Before(1).comparison(false), ">");
        assert!(!Direction::Backward.ascending(true));
    }

    #[test]
    fn page_numbers_start_at_one_and_stay_in_range() {
        assert_eq!(PageNumber::parse("").number(), 1);
        assert_eq!(PageNumber::parse("-3").number(), 1);
        assert_eq!(PageNumber::parse("3").offset(50), 100);
        assert_eq!(PageNumber::parse("99999999").number(), 10_000);
        assert_eq!(PageNumber::FIRST.previous(), None);
        assert_eq!(PageNumber::new(2).previous(), Some(PageNumber::FIRST));
    }

    #[test]
    fn typed_wildcards_are_literal() {
        assert_eq!(contains(r"50%_a\b"), r"%50\%\_a\\b%");
    }

    #[test]
    fn totals_read_as_spanish() {
        assert_eq!(Total::Exact(1).label(), "1 resultado");
        assert_eq!(Total::Exact(2345).label(), "2.345 resultados");
        assert_eq!(Total::about(98_437).label(), "unos 98.000 resultados");
        assert_eq!(Total::about(12).label(), "unos 1.000 resultados");
    }
}
