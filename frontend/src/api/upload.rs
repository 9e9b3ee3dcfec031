//! Uploads go through `XMLHttpRequest`, the one browser API that reports upload progress
//! (fetch, and so gloo-net, does not). The answer goes through the same decode path.

use std::{cell::RefCell, rc::Rc};

use shared::v1::{CreatedApp, Deployment, Mount, fields};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{File, FormData, ProgressEvent, XmlHttpRequest};

use super::{ApiClient, Error};

/// Where the upload's outcome goes, once (load, error or abort).
type Slot = Rc<RefCell<Option<futures_channel::oneshot::Sender<Result<(), String>>>>>;

/// Bytes sent so far out of the request's total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub sent: f64,
    pub total: f64,
}

impl Progress {
    /// 0 to 100.
    pub fn percent(self) -> u32 {
        if self.total > 0.0 {
            (self.sent / self.total * 100.0).clamp(0.0, 100.0) as u32
        } else {
            0
        }
    }
}

pub(super) fn js(e: JsValue) -> Error {
    Error::Network(
        e.as_string()
            .unwrap_or_else(|| "the browser refused the request".into()),
    )
}

impl ApiClient {
    /// `POST /apps` (multipart `name`, `route`, `file`).
    pub async fn create_app(
        &self,
        name: &str,
        route: &str,
        file: &File,
        mounts: &[Mount],
        on_progress: impl Fn(Progress) + 'static,
    ) -> Result<CreatedApp, Error> {
        let form = FormData::new().map_err(js)?;
        form.append_with_str(fields::form::NAME, name).map_err(js)?;
        form.append_with_str(fields::form::ROUTE, route)
            .map_err(js)?;
        if !mounts.is_empty() {
            let json = serde_json::to_string(mounts).unwrap_or_default();
            form.append_with_str(fields::form::MOUNTS, &json)
                .map_err(js)?;
        }
        form.append_with_blob_and_filename(fields::form::FILE, file, &file.name())
            .map_err(js)?;
        self.upload("/apps", form, on_progress).await
    }

    /// `POST /apps/{name}/deployments` (multipart `file`).
    pub async fn deploy_version(
        &self,
        name: &str,
        file: &File,
        on_progress: impl Fn(Progress) + 'static,
    ) -> Result<Deployment, Error> {
        let form = FormData::new().map_err(js)?;
        form.append_with_blob_and_filename(fields::form::FILE, file, &file.name())
            .map_err(js)?;
        self.upload(&format!("/apps/{name}/deployments"), form, on_progress)
            .await
    }

    pub(super) async fn upload<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: FormData,
        on_progress: impl Fn(Progress) + 'static,
    ) -> Result<T, Error> {
        let (status, text) = self.post_form(path, form, Box::new(on_progress)).await?;
        self.decode(status, &text)
    }

    /// Sends the form and returns the answer's status and body (not generic: one copy for every
    /// upload).
    async fn post_form(
        &self,
        path: &str,
        form: FormData,
        on_progress: Box<dyn Fn(Progress)>,
    ) -> Result<(u16, String), Error> {
        let xhr = XmlHttpRequest::new().map_err(js)?;
        xhr.open("POST", &Self::url(path)).map_err(js)?;
        xhr.set_request_header("Accept", "application/json")
            .map_err(js)?;
        if let Some(token) = self.session.csrf() {
            xhr.set_request_header("X-CSRF-Token", &token).map_err(js)?;
        }

        let (tx, rx) = futures_channel::oneshot::channel::<Result<(), String>>();
        let tx: Slot = Rc::new(RefCell::new(Some(tx)));
        let finish = move |tx: &Slot, outcome: Result<(), String>| {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = futures_channel::oneshot::Sender::send(tx, outcome);
            }
        };
        let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() {
                on_progress(Progress {
                    sent: e.loaded(),
                    total: e.total(),
                });
            }
        });
        let loaded = {
            let tx = tx.clone();
            Closure::<dyn FnMut()>::new(move || finish(&tx, Ok(())))
        };
        let failed = {
            let tx = tx.clone();
            Closure::<dyn FnMut()>::new(move || {
                finish(&tx, Err("the upload was interrupted".into()))
            })
        };
        xhr.upload()
            .map_err(js)?
            .set_onprogress(Some(progress.as_ref().unchecked_ref()));
        xhr.set_onload(Some(loaded.as_ref().unchecked_ref()));
        xhr.set_onerror(Some(failed.as_ref().unchecked_ref()));
        xhr.set_onabort(Some(failed.as_ref().unchecked_ref()));
        xhr.send_with_opt_form_data(Some(&form)).map_err(js)?;

        let outcome = rx
            .await
            .unwrap_or_else(|_| Err("the upload was cancelled".into()));
        // The callbacks must live until the request is over; detach them before dropping.
        xhr.set_onload(None);
        xhr.set_onerror(None);
        xhr.set_onabort(None);
        drop((progress, loaded, failed));
        outcome.map_err(Error::Network)?;

        let status = xhr.status().map_err(js)?;
        let text = xhr.response_text().map_err(js)?.unwrap_or_default();
        Ok((status, text))
    }
}
