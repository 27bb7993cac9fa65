//! Lead assignment: which agents take the new leads of each line.

use super::*;

#[derive(Template)]
#[template(path = "backoffice/landings/assignment.html", blocks = ["content"])]
pub struct AssignmentPage {
    pub ctx: PageContext,
    pub settings: crate::landings::assign::Settings,
}

impl AssignmentPage {
    pub fn has(&self, line: &i64, agent: &i64) -> bool {
        self.settings.pairs.contains(&(*line, *agent))
    }
}

/// GET /admin/reparto-de-leads: which agents take the new leads of each line.
pub async fn assignment(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let settings = db
        .run(|conn| crate::landings::assign::settings(conn).map_err(DbError::from))
        .await?;
    crate::page_or_partial!(AssignmentPage { ctx, settings })
}

/// POST /admin/reparto-de-leads: checkboxes `reparto` = `<line>:<agent>`.
pub async fn save_assignment(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(i64, i64)> = form
        .into_inner()
        .into_iter()
        .filter(|(k, _)| k == "reparto")
        .filter_map(|(_, v)| {
            let (line, agent) = v.split_once(':')?;
            Some((line.parse().ok()?, agent.parse().ok()?))
        })
        .collect();
    db.transaction(move |conn| {
        let kept = crate::landings::assign::replace(conn, &pairs)?;
        audit::record(
            conn,
            &audit::NewEntry {
                details: serde_json::json!({ "reparto": kept }),
                ..audit_entry(&staff.0, &meta, Action::LeadAssignmentChanged)
            },
        )?;
        Ok::<_, DbError>(())
    })
    .await?;
    Ok(flash::redirect(
        "/admin/reparto-de-leads",
        Flash::success("Reparto de leads guardado."),
    ))
}
