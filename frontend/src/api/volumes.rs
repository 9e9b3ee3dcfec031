use gloo_net::http::Method;
use shared::v1::{CreateVolume, UploadedFiles, Volume, VolumeListing, fields};
use web_sys::{File, FormData};

use super::{ApiClient, Error, Progress, upload::js};

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

    pub async fn list_folder(&self, name: &str, path: &str) -> Result<VolumeListing, Error> {
        self.send(
            self.get(&format!("/volumes/{name}/files{}", query(path)))
                .build(),
        )
        .await
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
