use gloo_net::http::Method;
use shared::v1::{
    CreateVolume, EntryKind, UploadedFiles, Volume, VolumeEntry, VolumeListing, fields, time,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{File, FormData};

use super::{ApiClient, Error, Progress, upload::js};

/// A field of a parsed JSON object (`undefined` when there is none).
fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &name.into()).unwrap_or_default()
}

fn string(object: &JsValue, name: &str) -> String {
    field(object, name).as_string().unwrap_or_default()
}

/// One entry of a folder, as `GET /volumes/{name}/files` writes it.
fn entry(e: &JsValue) -> VolumeEntry {
    VolumeEntry {
        name: string(e, "name"),
        path: string(e, "path"),
        kind: match string(e, "kind").as_str() {
            "file" => EntryKind::File,
            "folder" => EntryKind::Folder,
            "symlink" => EntryKind::Symlink,
            _ => EntryKind::Other,
        },
        size_bytes: field(e, "size_bytes").as_f64().unwrap_or(0.0) as u64,
        modified: field(e, "modified")
            .as_string()
            .and_then(|t| time::parse(&t)),
    }
}

/// A path as a query parameter.
fn query(path: &str) -> String {
    format!(
        "?{}={}",
        fields::query::PATH,
        String::from(js_sys::encode_uri_component(path))
    )
}

impl ApiClient {
    pub async fn list_volumes(&self) -> Result<Vec<Volume>, Error> {
        self.send_list(self.get("/volumes").build()).await
    }

    pub async fn create_volume(&self, name: &str, description: &str) -> Result<Volume, Error> {
        let body = CreateVolume {
            name: name.into(),
            description: description.into(),
        };
        self.send(self.write(Method::POST, "/volumes").json(&body))
            .await
    }

    pub async fn get_volume(&self, name: &str) -> Result<Volume, Error> {
        self.send(self.get(&format!("/volumes/{name}")).build())
            .await
    }

    pub async fn delete_volume(&self, name: &str, force: bool) -> Result<(), Error> {
        let path = if force {
            format!("/volumes/{name}?{}=true", fields::query::FORCE)
        } else {
            format!("/volumes/{name}")
        };
        self.send(self.write(Method::DELETE, &path).build()).await
    }

    /// Read field by field by the browser: serde's code for `VolumeListing`, its entries and
    /// their `EntryKind` cost the module more.
    pub async fn list_folder(&self, name: &str, path: &str) -> Result<VolumeListing, Error> {
        let text = self
            .text(
                self.get(&format!("/volumes/{name}/files{}", query(path)))
                    .build(),
            )
            .await?;
        let listing = js_sys::JSON::parse(&text).unwrap_or_default();
        let entries = field(&listing, "entries");
        let entries = match entries.dyn_ref::<js_sys::Array>() {
            Some(entries) => entries.iter().map(|e| entry(&e)).collect(),
            None => Vec::new(),
        };
        Ok(VolumeListing {
            volume: string(&listing, "volume"),
            path: string(&listing, "path"),
            entries,
            next_offset: field(&listing, "next_offset").as_f64().map(|n| n as u64),
        })
    }

    pub async fn create_folder(&self, name: &str, path: &str) -> Result<(), Error> {
        self.send(
            self.write(
                Method::POST,
                &format!("/volumes/{name}/folders{}", query(path)),
            )
            .build(),
        )
        .await
    }

    pub async fn delete_path(&self, name: &str, path: &str) -> Result<(), Error> {
        self.send(
            self.write(
                Method::DELETE,
                &format!("/volumes/{name}/files{}", query(path)),
            )
            .build(),
        )
        .await
    }

    /// Uploads `files` into `folder`; a `.zip` is sent as a `zip` part (extracted there) when
    /// `unzip`.
    pub async fn upload_to_volume(
        &self,
        name: &str,
        folder: &str,
        files: &[File],
        unzip: bool,
        on_progress: impl Fn(Progress) + 'static,
    ) -> Result<UploadedFiles, Error> {
        let form = FormData::new().map_err(js)?;
        for file in files {
            let field = if unzip && file.name().to_ascii_lowercase().ends_with(".zip") {
                fields::form::ZIP
            } else {
                fields::form::FILES
            };
            form.append_with_blob_and_filename(field, file, &file.name())
                .map_err(js)?;
        }
        self.upload(
            &format!("/volumes/{name}/upload{}", query(folder)),
            form,
            on_progress,
        )
        .await
    }

    /// Where the browser downloads a file (the session cookie authenticates the GET).
    pub fn file_url(name: &str, path: &str) -> String {
        Self::url(&format!("/volumes/{name}/download{}", query(path)))
    }

    /// Where the browser downloads a folder as tar.gz.
    pub fn archive_url(name: &str, path: &str) -> String {
        Self::url(&format!("/volumes/{name}/archive{}", query(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names and kinds `list_folder` reads are those of `shared::v1`.
    #[test]
    fn list_folder_reads_the_names_of_volume_listing() {
        let listing = VolumeListing {
            volume: "data".into(),
            path: "docs".into(),
            entries: [EntryKind::File, EntryKind::Folder, EntryKind::Symlink]
                .into_iter()
                .map(|kind| VolumeEntry {
                    name: "a".into(),
                    path: "docs/a".into(),
                    kind,
                    size_bytes: 3,
                    modified: Some(chrono::Utc::now()),
                })
                .collect(),
            next_offset: Some(100),
        };
        let json = serde_json::to_value(&listing).unwrap();
        for name in ["volume", "path", "next_offset"] {
            assert!(!json[name].is_null(), "{name}");
        }
        let entry = &json["entries"][0];
        for name in ["name", "path", "size_bytes", "modified"] {
            assert!(!entry[name].is_null(), "{name}");
        }
        let kinds: Vec<_> = (0..3).map(|i| json["entries"][i]["kind"].clone()).collect();
        assert_eq!(kinds, ["file", "folder", "symlink"]);
    }
}
