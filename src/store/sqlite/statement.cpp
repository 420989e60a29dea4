#include "store/sqlite/statement.hpp"

#include <utility>

namespace dps::store::sqlite {

namespace {

ErrorCode classify(int rc) {
  switch (rc & 0xff) {  // primary code; extended codes keep it in the low byte
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:  // e.g. the file's permissions changed under us: an operator can fix it
      return ErrorCode::Unavailable;
    case SQLITE_CONSTRAINT:
      return ErrorCode::Conflict;
    default:
      return ErrorCode::Internal;
  }
}

}  // namespace

Error to_error(sqlite3* db, int rc, std::string_view what) {
  ErrorCode code = classify(rc);
  std::string internal(what);
  internal += ": ";
  // sqlite3_errmsg describes the most recent failure on the connection, which is this one: every
  // call site converts immediately, under the store's mutex.
  internal += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  internal += " (sqlite code " + std::to_string(rc) + ")";
  std::string external =
      code == ErrorCode::Unavailable ? "database temporarily unavailable" : "database error";
  return Error{code, std::move(internal), std::move(external)};
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Statement::note_bind(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so temporaries passed by callers are safe.
  note_bind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Statement::bind(int index, int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
}

void Statement::bind_blob(int index, std::string_view bytes) {
  // A null data pointer would bind NULL; an empty string_view may have one, so use "" instead.
  const char* data = bytes.empty() ? "" : bytes.data();
  note_bind(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT));
}

void Statement::bind_null(int index) { note_bind(sqlite3_bind_null(stmt_, index)); }

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return tl::unexpected(to_error(db_, bind_rc_, "bind"));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(to_error(db_, rc, "step"));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
  }
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  // Length after the text call: the documented order, so no conversion happens in between.
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::blob(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  if (data == nullptr) return {};  // NULL or zero-length blob
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<Connection> Connection::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  // NOMUTEX: the store serialises all use of the connection with its own mutex. NOFOLLOW: a
  // symbolic link planted where the database (PSKs, hub client secrets) goes is refused, not
  // followed to a file of the planter's choosing.
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  Connection connection(db);  // owns db even when open failed (sqlite3 allocates it anyway)
  if (rc != SQLITE_OK) {
    return tl::unexpected(to_error(db, rc, "open " + file.string()));
  }
  sqlite3_extended_result_codes(db, 1);
  return connection;
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(to_error(db_.get(), rc, "prepare"));
    it = cache_.emplace(std::string(sql), std::unique_ptr<sqlite3_stmt, Finalize>(stmt)).first;
  }
  return Statement(db_.get(), it->second.get());
}

Result<void> Connection::exec(const std::string& script) {
  int rc = sqlite3_exec(db_.get(), script.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(to_error(db_.get(), rc, "exec"));
  return {};
}

Result<Transaction> Transaction::begin(Connection& connection) {
  auto begun = connection.exec("BEGIN IMMEDIATE");
  if (!begun) return tl::unexpected(begun.error());
  return Transaction(connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  // Best effort: a failed ROLLBACK (e.g. SQLite already rolled back after an I/O error) leaves
  // nothing more to undo.
  if (connection_ != nullptr) (void)connection_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  auto committed = connection_->exec("COMMIT");
  if (!committed) return committed;  // still active: the destructor rolls back
  connection_ = nullptr;
  return {};
}

}  // namespace dps::store::sqlite
