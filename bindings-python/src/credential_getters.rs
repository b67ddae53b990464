// The attributes of the Python `Credential`, generated from the core's credential view (core, the `Credential` shape of `sipcreds::output_schemas`) by `cargo xtask codegen`; do not edit.

/// `#[pymethods] impl PyCredential`: a getter per field of the core's credential view (its
/// wire name in snake_case, read from the view's JSON), then the methods given.
macro_rules! credential_pymethods {
    ($($methods:tt)*) => {
        #[pymethods]
        impl PyCredential {
            /// `id`.
            #[getter]
            fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "id")
            }

            /// `org`.
            #[getter]
            fn org<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "org")
            }

            /// `name`.
            #[getter]
            fn name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "name")
            }

            /// `server`: the normalized host (IPv6 in brackets) and the port if one was given.
            #[getter]
            fn server<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "server")
            }

            /// `host`: bare (IPv6 without brackets).
            #[getter]
            fn host<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "host")
            }

            /// `port`: the effective port.
            #[getter]
            fn port<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "port")
            }

            /// `transport`, lowercase.
            #[getter]
            fn transport<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "transport")
            }

            /// `authUser`.
            #[getter]
            fn auth_user<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "authUser")
            }

            /// `hasPassword`.
            #[getter]
            fn has_password<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "hasPassword")
            }

            /// `domain`, as written (IPv6 in brackets).
            #[getter]
            fn domain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "domain")
            }

            /// `realm`: the domain's host, else the server's, bare.
            #[getter]
            fn realm<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "realm")
            }

            /// `cpsLimit`.
            #[getter]
            fn cps_limit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "cpsLimit")
            }

            /// `cpsKey`.
            #[getter]
            fn cps_key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "cpsKey")
            }

            /// `source`: `manual` or `provider`.
            #[getter]
            fn source<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "source")
            }

            /// `providerId`.
            #[getter]
            fn provider_id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "providerId")
            }

            /// `readOnly`.
            #[getter]
            fn read_only<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "readOnly")
            }

            /// `version`.
            #[getter]
            fn version<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.field(py, "version")
            }

            /// `createdAt`.
            #[getter]
            fn created_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.time_field(py, "createdAt")
            }

            /// `updatedAt`.
            #[getter]
            fn updated_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.time_field(py, "updatedAt")
            }

            $($methods)*
        }
    };
}
