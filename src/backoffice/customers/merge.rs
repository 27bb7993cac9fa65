//! Merge.

use super::*;

#[derive(Template)]
#[template(path = "backoffice/customers/merge.html", blocks = ["content"])]
pub struct MergePage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub tax_id: String,
    pub q: String,
    pub candidates: Vec<Row>,
    /// Set on the confirmation step.
    pub duplicate: Option<(i64, String, String)>,
    pub counts: MergeCounts,
    pub error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MergeQuery {
    q: String,
}

/// GET /admin/clientes/{id}/fusionar: choose the duplicate to merge into this customer.
pub async fn merge_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<String>,
    query: web::Query<MergeQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load_for_change(&db, scope, id).await?;
    if let Some(survivor) = customer.merged_into_id {
        return Ok(flash::see_other(&format!("/admin/clientes/{survivor}")));
    }
    let q: String = query.into_inner().q.trim().chars().take(100).collect();
    let candidates = if q.is_empty() {
        Vec::new()
    } else {
        let filter = ListFilter {
            q: q.clone(),
            ..ListFilter::default()
        };
        db.run(move |conn| customers::list(conn, scope, &filter).map_err(DbError::from))
            .await?
            .rows
            .into_iter()
            .filter(|r| r.id != id)
            .take(20)
            .map(Row::from)
            .collect()
    };
    render::html(&MergePage {
        ctx,
        id,
        name: customer.display_name,
        tax_id: customer.tax_id,
        q,
        candidates,
        duplicate: None,
        counts: MergeCounts::default(),
        error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MergeInput {
    duplicado: String,
    confirmar: String,
}

/// POST /admin/clientes/{id}/fusionar: without `confirmar`, the confirmation page showing
/// what moves; with it, the merge (one transaction) and back to the survivor.
pub async fn merge(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    input: crate::web::form::StrictForm<MergeInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let survivor = load_for_change(&db, scope, id).await?;
    if survivor.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let input = input.into_inner();
    let duplicate_id = input.duplicado.trim().parse::<i64>().ok();
    let duplicate = match duplicate_id {
        Some(dup) if dup != id => {
            db.run(move |conn| customers::get(conn, scope, dup).map_err(DbError::from))
                .await?
        }
        _ => None,
    }
    .filter(|d| d.merged_into_id.is_none());
    let Some(duplicate) = duplicate else {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &MergePage {
                ctx,
                id,
                name: survivor.display_name,
                tax_id: survivor.tax_id,
                q: String::new(),
                candidates: Vec::new(),
                duplicate: None,
                counts: MergeCounts::default(),
                error: Some("Elija el cliente duplicado que quiere fusionar con este.".into()),
            },
        );
    };
    let dup_id = duplicate.id;
    if input.confirmar.trim() != "si" {
        let counts = db
            .run(move |conn| customers::merge_preview(conn, dup_id).map_err(DbError::from))
            .await?;
        return render::html(&MergePage {
            ctx,
            id,
            name: survivor.display_name,
            tax_id: survivor.tax_id,
            q: String::new(),
            candidates: Vec::new(),
            duplicate: Some((dup_id, duplicate.display_name, duplicate.tax_id)),
            counts,
            error: None,
        });
    }
    let user = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            customers::merge(conn, &actor(&user, &meta), scope, id, dup_id).map_err(DbError::from)
        })
        .await?;
    match outcome {
        MergeOutcome::Merged(counts) => Ok(flash::redirect(
            &format!("/admin/clientes/{id}"),
            Flash::success(format!(
                "Clientes fusionados: {} registros movidos de {}.",
                counts.total(),
                duplicate.display_name
            )),
        )),
        MergeOutcome::NotAllowed(message) => Ok(flash::redirect(
            &format!("/admin/clientes/{id}/fusionar"),
            Flash::error(message),
        )),
    }
}
