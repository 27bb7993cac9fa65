//! Conversations between a client (e-SORI) and the brokerage (back-office inbox). No HTTP.
//!
//! Each thread keeps two unread counters, one per side, updated with every message: the
//! inbox and the portal show counts without aggregating messages. Staff replies e-mail the
//! client a notice that carries only a link (never the text or any personal detail).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::permissions::PortfolioScope;
use crate::db::DbError;
use crate::db::schema::{client_users, customers, message_threads, messages, staff_users};
use crate::listing::{PageNumber, SHORT_PAGE_SIZE};
use crate::validation::FieldErrors;

pub const MAX_BODY: usize = 5000;
pub const MAX_SUBJECT: usize = 200;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = message_threads)]
pub struct Thread {
    pub id: i64,
    pub customer_id: i64,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
    pub unread_by_client: i32,
    pub unread_by_staff: i32,
}

#[derive(Debug, Clone, Queryable)]
pub struct Message {
    pub id: i64,
    pub author: String,
    pub staff_name: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl Message {
    pub fn from_client(&self) -> bool {
        self.author == "client"
    }
}

/// Checks a message body; the error goes next to the field `cuerpo`.
pub fn check_body(body: &str) -> Result<String, FieldErrors> {
    let body = body.trim();
    let mut errors = FieldErrors::new();
    if body.is_empty() {
        errors.add("cuerpo", "Escriba el mensaje.");
    } else if body.chars().count() > MAX_BODY {
        errors.add(
            "cuerpo",
            "El mensaje no puede tener más de 5000 caracteres.",
        );
    }
    errors.into_result(body.to_owned())
}

/// Checks a new thread's subject and first message.
pub fn check_new(subject: &str, body: &str) -> Result<(String, String), FieldErrors> {
    let subject = subject.trim();
    let mut errors = match check_body(body) {
        Ok(_) => FieldErrors::new(),
        Err(errors) => errors,
    };
    if subject.is_empty() {
        errors.add("asunto", "Escriba el asunto.");
    } else if subject.chars().count() > MAX_SUBJECT {
        errors.add("asunto", "El asunto no puede tener más de 200 caracteres.");
    }
    errors.into_result((subject.to_owned(), body.trim().to_owned()))
}

/// The customer's threads, latest activity first (run under the portal role).
pub fn threads_of(
    conn: &mut PgConnection,
    customer_id: i64,
    page: PageNumber,
) -> QueryResult<(Vec<Thread>, bool)> {
    let mut rows: Vec<Thread> = message_threads::table
        .filter(message_threads::customer_id.eq(customer_id))
        .order((
            message_threads::last_message_at.desc(),
            message_threads::id.desc(),
        ))
        .offset(page.offset(SHORT_PAGE_SIZE))
        .limit(SHORT_PAGE_SIZE + 1)
        .select(Thread::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > SHORT_PAGE_SIZE;
    rows.truncate(SHORT_PAGE_SIZE as usize);
    Ok((rows, more))
}

fn messages_of(conn: &mut PgConnection, thread_id: i64) -> QueryResult<Vec<Message>> {
    messages::table
        .left_join(staff_users::table.on(messages::staff_id.eq(staff_users::id.nullable())))
        .filter(messages::thread_id.eq(thread_id))
        .order((messages::created_at, messages::id))
        .limit(500)
        .select((
            messages::id,
            messages::author,
            staff_users::name.nullable(),
            messages::body,
            messages::created_at,
        ))
        .load(conn)
}

/// Thread `id` of the customer with its messages; `None` when it is not theirs.
pub fn thread_of(
    conn: &mut PgConnection,
    customer_id: i64,
    id: i64,
) -> QueryResult<Option<(Thread, Vec<Message>)>> {
    let thread: Option<Thread> = message_threads::table
        .filter(message_threads::id.eq(id))
        .filter(message_threads::customer_id.eq(customer_id))
        .select(Thread::as_select())
        .first(conn)
        .optional()?;
    let Some(thread) = thread else {
        return Ok(None);
    };
    let messages = messages_of(conn, id)?;
    Ok(Some((thread, messages)))
}

/// The client has read thread `id` (their own only).
pub fn mark_read_by_client(conn: &mut PgConnection, customer_id: i64, id: i64) -> QueryResult<()> {
    diesel::update(
        message_threads::table
            .filter(message_threads::id.eq(id))
            .filter(message_threads::customer_id.eq(customer_id))
            .filter(message_threads::unread_by_client.gt(0)),
    )
    .set(message_threads::unread_by_client.eq(0))
    .execute(conn)?;
    Ok(())
}

fn insert_message(
    conn: &mut PgConnection,
    thread: &Thread,
    staff_id: Option<i64>,
    body: &str,
) -> QueryResult<i64> {
    let author = if staff_id.is_some() {
        "staff"
    } else {
        "client"
    };
    let id = diesel::insert_into(messages::table)
        .values((
            messages::thread_id.eq(thread.id),
            messages::customer_id.eq(thread.customer_id),
            messages::author.eq(author),
            messages::staff_id.eq(staff_id),
            messages::body.eq(body),
        ))
        .returning(messages::id)
        .get_result(conn)?;
    let now = Utc::now();
    let target = message_threads::table.find(thread.id);
    if staff_id.is_some() {
        diesel::update(target)
            .set((
                message_threads::last_message_at.eq(now),
                message_threads::unread_by_client.eq(message_threads::unread_by_client + 1),
                message_threads::unread_by_staff.eq(0),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                message_threads::last_message_at.eq(now),
                message_threads::unread_by_staff.eq(message_threads::unread_by_staff + 1),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// A client opens a thread with its first message. Returns the thread id.
pub fn start_by_client(
    conn: &mut PgConnection,
    customer_id: i64,
    subject: &str,
    body: &str,
) -> QueryResult<i64> {
    let thread: Thread = diesel::insert_into(message_threads::table)
        .values((
            message_threads::customer_id.eq(customer_id),
            message_threads::subject.eq(subject),
        ))
        .returning(Thread::as_returning())
        .get_result(conn)?;
    insert_message(conn, &thread, None, body)?;
    Ok(thread.id)
}

/// A client writes in their own thread `id`; `None` when it is not theirs.
pub fn reply_by_client(
    conn: &mut PgConnection,
    customer_id: i64,
    id: i64,
    body: &str,
) -> QueryResult<Option<i64>> {
    let thread: Option<Thread> = message_threads::table
        .filter(message_threads::id.eq(id))
        .filter(message_threads::customer_id.eq(customer_id))
        .select(Thread::as_select())
        .for_update()
        .first(conn)
        .optional()?;
    match thread {
        Some(thread) => insert_message(conn, &thread, None, body).map(Some),
        None => Ok(None),
    }
}

/// One line of the back-office inbox.
#[derive(Debug, Clone, Queryable)]
pub struct InboxRow {
    pub id: i64,
    pub subject: String,
    pub last_message_at: DateTime<Utc>,
    pub unread_by_staff: i32,
    pub customer_id: i64,
    pub customer_name: String,
}

/// The inbox within `scope` (an agent sees their own customers' threads), latest first.
pub fn inbox(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    page: PageNumber,
) -> QueryResult<(Vec<InboxRow>, bool)> {
    let mut query = message_threads::table
        .inner_join(customers::table)
        .order((
            message_threads::last_message_at.desc(),
            message_threads::id.desc(),
        ))
        .offset(page.offset(SHORT_PAGE_SIZE))
        .limit(SHORT_PAGE_SIZE + 1)
        .select((
            message_threads::id,
            message_threads::subject,
            message_threads::last_message_at,
            message_threads::unread_by_staff,
            customers::id,
            customers::display_name,
        ))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    let mut rows: Vec<InboxRow> = query.load(conn)?;
    let more = rows.len() as i64 > SHORT_PAGE_SIZE;
    rows.truncate(SHORT_PAGE_SIZE as usize);
    Ok((rows, more))
}

/// Threads with messages staff have not read, within `scope`.
pub fn unread_for_staff(conn: &mut PgConnection, scope: PortfolioScope) -> QueryResult<i64> {
    let mut query = message_threads::table
        .inner_join(customers::table)
        .filter(message_threads::unread_by_staff.gt(0))
        .count()
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query.get_result(conn)
}

/// Thread `id` within `scope` with its messages and the customer's name, marked read by
/// staff; `None` outside the scope.
pub fn open_for_staff(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> QueryResult<Option<(Thread, String, Vec<Message>)>> {
    let mut query = message_threads::table
        .inner_join(customers::table)
        .filter(message_threads::id.eq(id))
        .select((Thread::as_select(), customers::display_name))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    let Some((thread, name)) = query.first::<(Thread, String)>(conn).optional()? else {
        return Ok(None);
    };
    if thread.unread_by_staff > 0 {
        diesel::update(message_threads::table.find(id))
            .set(message_threads::unread_by_staff.eq(0))
            .execute(conn)?;
    }
    let messages = messages_of(conn, id)?;
    Ok(Some((thread, name, messages)))
}

/// A staff answer without the notice e-mail, for the demo seed.
pub fn seed_staff_answer(
    conn: &mut PgConnection,
    thread_id: i64,
    staff_id: i64,
    body: &str,
) -> QueryResult<i64> {
    let thread: Thread = message_threads::table
        .find(thread_id)
        .select(Thread::as_select())
        .first(conn)?;
    insert_message(conn, &thread, Some(staff_id), body)
}

/// Staff answer thread `id` (within `scope`) and the client gets a link-only notice at the
/// address of their e-SORI account. `None` outside the scope.
pub fn reply_by_staff(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    staff_id: i64,
    id: i64,
    body: &str,
    base_url: &url::Url,
) -> Result<Option<i64>, DbError> {
    let Some((thread, _, _)) = open_for_staff(conn, scope, id)? else {
        return Ok(None);
    };
    let message = insert_message(conn, &thread, Some(staff_id), body)?;
    let address: Option<String> = client_users::table
        .filter(client_users::customer_id.eq(thread.customer_id))
        .filter(client_users::active.eq(true))
        .select(client_users::email)
        .first(conn)
        .optional()?;
    if let Some(to) = address {
        let mut link = base_url.clone();
        link.set_path(&format!("/portal/mensajes/{}", thread.id));
        crate::mail::send(
            conn,
            &crate::mail::Notice::ClientReplyWaiting {
                to,
                link: link.to_string(),
            },
        )?;
    }
    Ok(Some(message))
}
