//! Livestatus, the query language every Nagios-world tool speaks (Thruk, Nagstamon, NagVis,
//! `Monitoring::Livestatus`), as naemon-livestatus answers it: a request is parsed
//! ([`request`]), run over a table of typed rows ([`table`], [`filter`], [`query`]) and written
//! in the client's format ([`output`]). No I/O here: the broker owns the sockets and builds the
//! tables from its status.
pub mod filter;
pub mod log;
pub mod output;
pub mod query;
pub mod request;
pub mod schema;
pub mod table;
pub mod value;

pub use query::{answer, Answer};
pub use request::{parse, LqlError, Method, Request};
pub use schema::{select, Schema, Select};
pub use table::{ColumnDef, Table};
pub use value::{ColumnType, Value};
