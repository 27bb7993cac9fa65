//! The back-office's one search box: customers (name, NIF, e-mail, phone, town), policies
//! (number, plate), claims, quotes and receipts (number) and leads (name, e-mail, phone),
//! within the viewer's portfolio. Accents and case are ignored the way Spaniards type
//! ("lopez rodriguez" finds "López Rodríguez"), identifiers without their spaces and dashes
//! ("1234klm" finds "1234 KLM"). Each kind is one bounded query on an index of the
//! `search_fold` / `search_key` expressions (migration 000270).

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use crate::auth::permissions::PortfolioScope;
use crate::db::schema::{claims, customers, leads, policies, quotes, receipts};
use crate::listing::like_escape;

const PER_KIND: i64 = 10;

diesel::define_sql_function! {
    /// Lower case without accents (`lower(unaccent(x))`, IMMUTABLE so indexes can use it).
    fn search_fold(x: Nullable<Text>) -> Nullable<Text>;
}

diesel::define_sql_function! {
    /// Lower case without the separators typed or not (` -./_`): the key of plates and numbers.
    fn search_key(x: Nullable<Text>) -> Nullable<Text>;
}

diesel::define_sql_function! {
    /// SQL `lower(text)`.
    fn lower(x: Text) -> Text;
}

/// The text as the database folds it: `search_fold` and `search_key`. Folding in SQL (and not
/// in Rust) keeps the typed side and the stored side one function, whatever `unaccent` knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    /// Lower case, without accents.
    pub text: String,
    /// `search_key`: lower case without spaces, dashes, dots, slashes or underscores.
    pub key: String,
}

impl Folded {
    /// The words of a name search (up to five, split at spaces and commas).
    pub fn words(&self) -> Vec<String> {
        typed_words(&self.text)
    }
}

/// The words of a name search as typed (up to five, split at spaces and commas).
pub fn typed_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .take(5)
        .map(str::to_owned)
        .collect()
}

/// The typed words of a customer name search, for [`name_prefixes_match`]: up to five, `None`
/// when none holds a letter or digit (punctuation alone matches nothing).
pub fn name_words(text: &str) -> Option<String> {
    let words = typed_words(text);
    words
        .iter()
        .any(|w| w.chars().any(char::is_alphanumeric))
        .then(|| words.join(" "))
}

/// Folds `text` the way the search indexes do.
pub fn fold(conn: &mut PgConnection, text: &str) -> QueryResult<Folded> {
    let (text, key): (Option<String>, Option<String>) = diesel::select((
        search_fold(Some(text.to_owned())),
        search_key(Some(text.to_owned())),
    ))
    .get_result(conn)?;
    Ok(Folded {
        text: text.unwrap_or_default(),
        key: key.unwrap_or_default(),
    })
}

/// The name search of leads as a `tsquery` over `leads.search_words` (migration 000270): every
/// typed word must begin a word of the name ("lopez rodr" finds "López Rodríguez"). Only
/// letters and digits are kept, so nothing typed is tsquery syntax. `None` without a word.
pub fn words_query(folded: &Folded) -> Option<String> {
    let words: Vec<String> = folded
        .words()
        .iter()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .map(|w| format!("{w}:*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

/// Whether the words are rare enough to start from the words index: one of three letters or
/// more. Shorter beginnings ("ma") match a good part of any list, so walking the list in its
/// order and keeping the rows that match finds a page sooner than collecting them all.
pub fn selective(folded: &Folded) -> bool {
    folded.words().iter().any(|w| w.chars().count() >= 3)
}

/// `{column} @@ to_tsquery('simple', query)`: `column` is `leads.search_words` (a generated
/// column Diesel has no type for, so not in the schema).
pub fn words_match<QS: 'static>(
    column: &'static str,
    query: String,
) -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>> {
    Box::new(
        sql::<Bool>(column)
            .sql(" @@ to_tsquery('simple'::regconfig, ")
            .bind::<Text, _>(query)
            .sql(")"),
    )
}

/// Every typed word begins a word of the customer's name: `customers.search_prefixes` holds
/// every beginning of every word (migration `2026-12-12-000030`), so each typed word is one
/// whole lexeme, which GIN intersects from its posting lists (a `:*` prefix query gathers a
/// bitmap per word first: four times slower at 100,000 customers). PostgreSQL folds and splits
/// `words` in the same statement with the functions of the stored side, and `plainto_tsquery`
/// reads them as plain words, so nothing typed is tsquery syntax.
pub fn name_prefixes_match<QS: 'static>(
    words: String,
) -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>> {
    Box::new(
        sql::<Bool>(
            "customers.search_prefixes @@ plainto_tsquery('simple'::regconfig, search_fold(",
        )
        .bind::<Text, _>(words)
        .sql("))"),
    )
}

#[derive(Debug, Clone, Queryable)]
pub struct CustomerHit {
    pub id: i64,
    pub display_name: String,
    pub tax_id: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct PolicyHit {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub plate: Option<String>,
    pub customer_name: String,
}

#[derive(Debug, Clone, Queryable)]
pub struct ClaimHit {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub customer_name: String,
}

#[derive(Debug, Clone, Queryable)]
pub struct QuoteHit {
    pub id: i64,
    pub number: String,
    pub status: String,
    /// The customer's name, or the prospect's when there is no customer yet.
    pub who: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct ReceiptHit {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub policy_id: i64,
    pub customer_name: String,
}

#[derive(Debug, Clone, Queryable)]
pub struct LeadHit {
    pub id: i64,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub stage: String,
}

#[derive(Debug, Clone, Default)]
pub struct Results {
    pub customers: Vec<CustomerHit>,
    pub policies: Vec<PolicyHit>,
    pub claims: Vec<ClaimHit>,
    pub quotes: Vec<QuoteHit>,
    pub receipts: Vec<ReceiptHit>,
    pub leads: Vec<LeadHit>,
}

/// The one record a search found, to go straight to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Single {
    Customer(i64),
    Policy(i64),
    Claim(i64),
    Quote(i64),
    /// A receipt is shown on its policy: the policy's id.
    ReceiptOfPolicy(i64),
    Lead(i64),
}

impl Results {
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    fn count(&self) -> usize {
        self.customers.len()
            + self.policies.len()
            + self.claims.len()
            + self.quotes.len()
            + self.receipts.len()
            + self.leads.len()
    }

    /// The record when exactly one was found.
    pub fn single(&self) -> Option<Single> {
        if self.count() != 1 {
            return None;
        }
        None.or_else(|| self.customers.first().map(|c| Single::Customer(c.id)))
            .or_else(|| self.policies.first().map(|p| Single::Policy(p.id)))
            .or_else(|| self.claims.first().map(|c| Single::Claim(c.id)))
            .or_else(|| self.quotes.first().map(|q| Single::Quote(q.id)))
            .or_else(|| {
                self.receipts
                    .first()
                    .map(|r| Single::ReceiptOfPolicy(r.policy_id))
            })
            .or_else(|| self.leads.first().map(|l| Single::Lead(l.id)))
    }
}

/// What the viewer may find besides the portfolio.
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    pub scope: PortfolioScope,
    /// Leads (the pipeline is not every role's).
    pub leads: bool,
    /// Policies, claims, quotes and receipts by number or plate (a customer picker wants
    /// customers only, and spares those queries).
    pub records: bool,
}

/// What the text looks like once spaces, dots and dashes are gone: a phone number (nine
/// digits, optional +34).
fn phone_digits(text: &str) -> Option<String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let digits = digits
        .strip_prefix("+34")
        .or_else(|| digits.strip_prefix("0034"))
        .unwrap_or(&digits);
    (digits.len() == 9 && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.to_owned())
}

/// A DNI/NIE/CIF as stored (upper case, letters and digits only).
fn tax_id_of(folded: &Folded) -> Option<String> {
    let key = folded.key.to_uppercase();
    (key.len() == 9 && key.chars().filter(|c| c.is_ascii_digit()).count() >= 7).then_some(key)
}

pub fn everything(conn: &mut PgConnection, reach: Reach, text: &str) -> QueryResult<Results> {
    let text = text.trim();
    if text.chars().count() < 2 {
        return Ok(Results::default());
    }
    let folded = fold(conn, text)?;
    let owner = reach.scope.owner();
    let mut results = Results::default();

    if text.contains('@') {
        // E-mails are stored in lower case, accents and all.
        let email = text.to_lowercase();
        results.customers = customers_where(conn, owner, customers::email.eq(email.clone()))?;
        if reach.leads {
            results.leads = leads_where(conn, owner, leads::email.eq(email))?;
        }
        return Ok(results);
    }
    if let Some(phone) = phone_digits(text) {
        results.customers = customers_where(conn, owner, customers::phone.eq(phone.clone()))?;
        if reach.leads {
            results.leads = leads_where(conn, owner, leads::phone.eq(phone))?;
        }
        return Ok(results);
    }
    if let Some(tax_id) = tax_id_of(&folded) {
        results.customers = customers_where(conn, owner, customers::tax_id.eq(tax_id).nullable())?;
    }
    let has_digit = folded.key.chars().any(|c| c.is_ascii_digit());
    if has_digit && folded.key.len() >= 3 {
        if reach.records {
            identifiers(conn, owner, &folded.key, &mut results)?;
        }
    } else if !has_digit {
        if let (Some(words), Some(typed)) = (words_query(&folded), name_words(&folded.text)) {
            let mut by_name = customers::table
                .filter(customers::merged_into_id.is_null())
                .filter(customers::blocked_at.is_null())
                .filter(name_prefixes_match(typed))
                .into_boxed();
            if let Some(owner) = owner {
                by_name = by_name.filter(customers::owner_staff_id.eq(owner));
            }
            // For rare words, an order no index gives: the planner then always starts from the
            // words index (walking the name index and filtering reads half of it when the
            // matches sit late in the alphabet; see `customers::list`).
            by_name = if selective(&folded) {
                by_name.order((customers::display_name, customers::id))
            } else {
                by_name.order((lower(customers::display_name), customers::id))
            };
            results.customers = by_name
                .limit(PER_KIND)
                .select(customer_columns())
                .load(conn)?;
            if reach.leads {
                let mut by_name = leads::table
                    .filter(words_match("leads.search_words", words))
                    .into_boxed();
                if let Some(owner) = owner {
                    by_name = by_name.filter(leads::assigned_staff_id.eq(owner));
                }
                by_name = if selective(&folded) {
                    by_name.order((leads::full_name, leads::id))
                } else {
                    by_name.order((leads::created_at.desc(), leads::id.desc()))
                };
                results.leads = by_name.limit(PER_KIND).select(lead_columns()).load(conn)?;
            }
        }
        // The town, whole: its customers not already found by name, in list order.
        let mut in_town = customers::table
            .filter(customers::merged_into_id.is_null())
            .filter(customers::blocked_at.is_null())
            .filter(customers::city.is_not_null())
            .filter(search_fold(customers::city).eq(folded.text.clone()))
            .into_boxed();
        if let Some(owner) = owner {
            in_town = in_town.filter(customers::owner_staff_id.eq(owner));
        }
        let found: Vec<i64> = results.customers.iter().map(|c| c.id).collect();
        if !found.is_empty() {
            in_town = in_town.filter(customers::id.ne_all(found));
        }
        let room = PER_KIND - results.customers.len() as i64;
        if room > 0 {
            let town: Vec<CustomerHit> = in_town
                .order((
                    search_fold(customers::city),
                    lower(customers::display_name),
                    customers::id,
                ))
                .limit(room)
                .select(customer_columns())
                .load(conn)?;
            results.customers.extend(town);
        }
    }
    Ok(results)
}

type CustomerColumns = (
    customers::id,
    customers::display_name,
    customers::tax_id,
    customers::phone,
    customers::email,
    customers::city,
);

fn customer_columns() -> CustomerColumns {
    (
        customers::id,
        customers::display_name,
        customers::tax_id,
        customers::phone,
        customers::email,
        customers::city,
    )
}

type LeadColumns = (
    leads::id,
    leads::full_name,
    leads::email,
    leads::phone,
    leads::stage,
);

fn lead_columns() -> LeadColumns {
    (
        leads::id,
        leads::full_name,
        leads::email,
        leads::phone,
        leads::stage,
    )
}

/// Customers matching one exact condition (e-mail, phone, NIF), in list order.
fn customers_where<P>(
    conn: &mut PgConnection,
    owner: Option<i64>,
    condition: P,
) -> QueryResult<Vec<CustomerHit>>
where
    P: diesel::expression::BoxableExpression<
            customers::table,
            diesel::pg::Pg,
            SqlType = Nullable<Bool>,
        > + diesel::expression::NonAggregate
        + 'static,
    P: diesel::expression::AppearsOnTable<customers::table>,
{
    let mut query = customers::table
        .filter(customers::merged_into_id.is_null())
        .filter(customers::blocked_at.is_null())
        .filter(condition)
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query
        .order((lower(customers::display_name), customers::id))
        .limit(PER_KIND)
        .select(customer_columns())
        .load(conn)
}

/// Leads matching one exact condition (e-mail, phone), newest first.
fn leads_where<P>(
    conn: &mut PgConnection,
    owner: Option<i64>,
    condition: P,
) -> QueryResult<Vec<LeadHit>>
where
    P: diesel::expression::BoxableExpression<
            leads::table,
            diesel::pg::Pg,
            SqlType = Nullable<Bool>,
        > + diesel::expression::NonAggregate
        + diesel::expression::AppearsOnTable<leads::table>
        + 'static,
{
    let mut query = leads::table.filter(condition).into_boxed();
    if let Some(owner) = owner {
        query = query.filter(leads::assigned_staff_id.eq(owner));
    }
    query
        .order((leads::created_at.desc(), leads::id.desc()))
        .limit(PER_KIND)
        .select(lead_columns())
        .load(conn)
}

/// The plate of a vehicle policy (`risk ->> 'plate'`, as its search index).
fn plate_text() -> diesel::expression::SqlLiteral<Nullable<Text>> {
    sql::<Nullable<Text>>("(policies.risk ->> 'plate')")
}

/// Policies (number or plate), claims, quotes and receipts whose key begins with `key`.
fn identifiers(
    conn: &mut PgConnection,
    owner: Option<i64>,
    key: &str,
    results: &mut Results,
) -> QueryResult<()> {
    let prefix = format!("{}%", like_escape(key));

    let mut by_number = policies::table
        .inner_join(customers::table)
        .filter(search_key(policies::number.nullable()).like(prefix.clone()))
        .into_boxed();
    let mut by_plate = policies::table
        .inner_join(customers::table)
        .filter(search_key(plate_text()).like(prefix.clone()))
        .into_boxed();
    if let Some(owner) = owner {
        by_number = by_number.filter(customers::owner_staff_id.eq(owner));
        by_plate = by_plate.filter(customers::owner_staff_id.eq(owner));
    }
    let mut found: Vec<PolicyHit> = by_number
        .order((policies::number, policies::id))
        .limit(PER_KIND)
        .select((
            policies::id,
            policies::number,
            policies::status,
            plate_text(),
            customers::display_name,
        ))
        .load(conn)?;
    let plates: Vec<PolicyHit> = by_plate
        .order((policies::number, policies::id))
        .limit(PER_KIND)
        .select((
            policies::id,
            policies::number,
            policies::status,
            plate_text(),
            customers::display_name,
        ))
        .load(conn)?;
    for hit in plates {
        if found.len() < PER_KIND as usize && !found.iter().any(|p| p.id == hit.id) {
            found.push(hit);
        }
    }
    results.policies = found;

    let mut claim_query = claims::table
        .inner_join(customers::table)
        .filter(search_key(claims::number.nullable()).like(prefix.clone()))
        .into_boxed();
    if let Some(owner) = owner {
        claim_query = claim_query.filter(customers::owner_staff_id.eq(owner));
    }
    results.claims = claim_query
        .order((claims::number, claims::id))
        .limit(PER_KIND)
        .select((
            claims::id,
            claims::number,
            claims::status,
            customers::display_name,
        ))
        .load(conn)?;

    // A quote is the viewer's when they are its agent or own its customer (as its page).
    let mut quote_query = quotes::table
        .left_join(customers::table)
        .filter(search_key(quotes::number.nullable()).like(prefix.clone()))
        .into_boxed();
    if let Some(owner) = owner {
        quote_query = quote_query.filter(
            quotes::agent_staff_id
                .eq(owner)
                .or(customers::owner_staff_id.eq(owner)),
        );
    }
    results.quotes = quote_query
        .order((quotes::number, quotes::id))
        .limit(PER_KIND)
        .select((
            quotes::id,
            quotes::number,
            quotes::status,
            sql::<Nullable<Text>>("coalesce(customers.display_name, quotes.prospect_name)"),
        ))
        .load(conn)?;

    let mut receipt_query = receipts::table
        .inner_join(customers::table)
        .filter(search_key(receipts::number.nullable()).like(prefix))
        .into_boxed();
    if let Some(owner) = owner {
        receipt_query = receipt_query.filter(customers::owner_staff_id.eq(owner));
    }
    results.receipts = receipt_query
        .order((receipts::number, receipts::id))
        .limit(PER_KIND)
        .select((
            receipts::id,
            receipts::number,
            receipts::status,
            receipts::policy_id,
            customers::display_name,
        ))
        .load(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_recognised_however_typed() {
        assert_eq!(
            phone_digits("+34 612 34 56 78").as_deref(),
            Some("612345678")
        );
        assert_eq!(phone_digits("612-345-678").as_deref(), Some("612345678"));
        assert_eq!(phone_digits("61234567"), None);
        assert_eq!(phone_digits("Martín"), None);
    }

    #[test]
    fn typed_words_become_a_prefix_query_without_tsquery_syntax() {
        let folded = |text: &str| Folded {
            text: text.to_owned(),
            key: text.replace(' ', ""),
        };
        assert_eq!(
            words_query(&folded("lopez rodr, ana")).as_deref(),
            Some("lopez:* & rodr:* & ana:*")
        );
        assert_eq!(
            words_query(&folded("o'neill & (x) | !y")).as_deref(),
            Some("oneill:* & x:* & y:*")
        );
        assert_eq!(words_query(&folded("%% ,")), None);
        assert_eq!(
            name_words("lópez  rodr, ana b c d").as_deref(),
            Some("lópez rodr ana b c")
        );
        assert_eq!(name_words("%% , -"), None);
        assert_eq!(like_escape("5%_\\"), "5\\%\\_\\\\");
        assert_eq!(
            tax_id_of(&folded("12345678z")).as_deref(),
            Some("12345678Z")
        );
    }
}
