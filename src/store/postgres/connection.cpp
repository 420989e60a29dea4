#include "store/postgres/connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace dps::store::postgres {

namespace {

// Applied to every new session. statement_timeout bounds a stuck lock or a runaway query.
// synchronous_commit is only raised from `off` (where a COMMIT returns before its WAL is flushed):
// an operator's stronger choice such as `remote_apply` is left alone.
constexpr std::string_view kSetupSession = R"sql(
SELECT set_config('statement_timeout', $1, false),
  CASE WHEN current_setting('synchronous_commit') = 'off'
    THEN set_config('synchronous_commit', 'on', false) END
)sql";

// libpq defaults placed BEFORE the connection string in PQconnectdbParams, so the string can
// override them. Keepalives and tcp_user_timeout make a silently vanished server (no RST, e.g. a
// network partition) surface as a broken connection within about half a minute instead of the
// kernel's two hours; statement_timeout alone cannot, as it runs on the server.
constexpr const char* kKeepalives = "1";
constexpr const char* kKeepalivesIdleSeconds = "10";
constexpr const char* kKeepalivesIntervalSeconds = "5";
constexpr const char* kKeepalivesCount = "3";
constexpr const char* kTcpUserTimeoutMs = "30000";
constexpr const char* kApplicationName = "dps";
// Placed AFTER the connection string: dps's bytes are UTF-8 whatever the string says.
constexpr const char* kClientEncoding = "UTF8";

constexpr std::string_view kUnavailableText = "database temporarily unavailable";
constexpr std::string_view kErrorText = "database error";

/// libpq messages are multi-line ("...\n\tThis probably means..."): one line for logs.
std::string one_line(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\t'; }, ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

void ignore_notice(void*, const char*) {
  // Notices ("relation already exists, skipping", a FATAL sent to an idle session at shutdown)
  // would go to stderr by default. They carry nothing a caller acts on: errors come back as
  // results, and a shutdown shows as a broken connection on the next use.
}

/// Parameter arrays in the shape PQexecPrepared wants; points into `params`.
struct Marshalled {
  explicit Marshalled(const std::vector<Params::Param>& params);  // defined below, needs access
  int size() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

// --- Params

Params& Params::text(std::string_view value) {
  params_.push_back({Type::Text, std::string(value), true});
  return *this;
}

Params& Params::bytea(std::string_view value) {
  params_.push_back({Type::Bytea, std::string(value), true});
  return *this;
}

Params& Params::int8(int64_t value) {
  params_.push_back({Type::Int8, std::to_string(value), false});
  return *this;
}

Params& Params::boolean(bool value) {
  params_.push_back({Type::Bool, std::string(value ? "t" : "f"), false});
  return *this;
}

Params& Params::text_array_or_null(const std::vector<std::string>& values) {
  if (values.empty()) return null(Type::TextArray);
  params_.push_back({Type::TextArray, text_array_literal(values), false});
  return *this;
}

Params& Params::null(Type type) {
  params_.push_back({type, std::nullopt, false});
  return *this;
}

Params& Params::owner_scope(const OwnerScope& scope) {
  return scope.is_every_owner() ? null(Type::Text) : text(scope.owner());
}

std::string text_array_literal(const std::vector<std::string>& values) {
  // Every element double-quoted, so commas, braces, blanks and the word NULL are plain data;
  // inside quotes only `"` and `\` need a backslash (PostgreSQL docs, "Array Value Input").
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return literal;
}

namespace {

Marshalled::Marshalled(const std::vector<Params::Param>& params) {
  for (const Params::Param& p : params) {
    // Text-format values are read up to their NUL terminator, which std::string provides.
    values.push_back(p.value ? p.value->c_str() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
}

}  // namespace

// --- QueryResult

std::string QueryResult::text(int row, int column) const {
  const char* data = PQgetvalue(result_.get(), row, column);
  return std::string(data, static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

int64_t QueryResult::int8(int row, int column) const {
  const char* data = PQgetvalue(result_.get(), row, column);
  const char* end = data + PQgetlength(result_.get(), row, column);
  int64_t value = 0;
  std::from_chars(data, end, value);  // the column is bigint: the server wrote a valid number
  return value;
}

bool QueryResult::boolean(int row, int column) const {
  return PQgetvalue(result_.get(), row, column)[0] == 't';
}

std::string QueryResult::bytea(int row, int column) const {
  // PQunescapeBytea understands both bytea_output formats (hex and escape), whichever the server
  // is configured with.
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)), &length);
  if (bytes == nullptr) return {};  // out of memory; a bytea column never fails to parse
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

int64_t QueryResult::affected_rows() const {
  const std::string_view status = PQcmdStatus(result_.get());
  // PQcmdTuples also counts SELECT rows; only writes are "changes".
  if (!status.starts_with("INSERT") && !status.starts_with("UPDATE") &&
      !status.starts_with("DELETE") && !status.starts_with("MERGE")) {
    return 0;
  }
  const std::string_view tuples = PQcmdTuples(result_.get());
  int64_t count = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), count);
  return count;
}

// --- error mapping

ErrorCode classify(std::string_view sqlstate, bool connection_ok) {
  if (!connection_ok) return ErrorCode::Unavailable;
  if (sqlstate == "23505") return ErrorCode::Conflict;  // unique_violation
  if (sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "57014" || sqlstate == "40001" ||
      sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "25006") {
    return ErrorCode::Unavailable;
  }
  return ErrorCode::Internal;
}

bool resets_connection(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || sqlstate == "25006";
}

// --- Connection

Result<std::unique_ptr<Connection>> Connection::open(const PostgresOptions& options) {
  std::vector<std::string> secrets;
  if (!options.uri.empty()) secrets.push_back(options.uri);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.uri.c_str(), &parse_error);
  if (parsed == nullptr) {
    // libpq's text may quote the string, password and all: say only that it is malformed.
    PQfreemem(parse_error);
    return fail(ErrorCode::Internal, "malformed PostgreSQL connection string",
                std::string(kErrorText));
  }
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && *o->val != '\0') {
      secrets.emplace_back(o->val);
    }
  }
  PQconninfoFree(parsed);

  const std::string connect_timeout =
      std::to_string(std::max<int64_t>(1, options.connect_timeout.count()));
  const char* keywords[] = {"connect_timeout",  "keepalives",
                            "keepalives_idle",  "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout",
                            "application_name", "dbname",
                            "client_encoding",  nullptr};
  const char* values[] = {connect_timeout.c_str(), kKeepalives,
                          kKeepalivesIdleSeconds,  kKeepalivesIntervalSeconds,
                          kKeepalivesCount,        kTcpUserTimeoutMs,
                          kApplicationName,        options.uri.c_str(),
                          kClientEncoding,         nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) {
    return fail(ErrorCode::Unavailable, "connect: out of memory", std::string(kUnavailableText));
  }
  std::unique_ptr<Connection> connection(new Connection(raw, std::move(secrets)));
  if (PQstatus(raw) != CONNECTION_OK) {
    return fail(ErrorCode::Unavailable,
                "connect: " + connection->redact(one_line(PQerrorMessage(raw))),
                std::string(kUnavailableText));
  }
  PQsetNoticeProcessor(raw, ignore_notice, nullptr);
  auto setup = connection->exec(kSetupSession,
                                Params().text(std::to_string(options.statement_timeout.count())));
  if (!setup) return tl::unexpected(setup.error());
  return connection;
}

Connection::Connection(PGconn* conn, std::vector<std::string> secrets)
    : conn_(conn), secrets_(std::move(secrets)) {}

Connection::~Connection() = default;

std::string Connection::redact(std::string message) const {
  constexpr std::string_view kMask = "***";
  for (const std::string& secret : secrets_) {
    for (size_t at = message.find(secret); at != std::string::npos;
         at = message.find(secret, at + kMask.size())) {
      message.replace(at, secret.size(), kMask);
    }
  }
  return message;
}

Error Connection::error(const PGresult* result, std::string_view what) {
  const bool connection_ok = PQstatus(conn_.get()) == CONNECTION_OK;
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) sqlstate = s;
    // The primary message only: DETAIL can quote a whole row ("Failing row contains ..."), and a
    // row of enrollment_groups holds a pre-shared key.
    if (const char* m = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) message = m;
  }
  if (message.empty()) message = one_line(PQerrorMessage(conn_.get()));
  if (!connection_ok || resets_connection(sqlstate)) poisoned_ = true;

  const ErrorCode code = classify(sqlstate, connection_ok);
  std::string internal(what);
  internal += ": " + redact(message);
  if (!sqlstate.empty()) internal += " (SQLSTATE " + sqlstate + ")";
  return Error{code, std::move(internal),
               std::string(code == ErrorCode::Unavailable ? kUnavailableText : kErrorText)};
}

Result<QueryResult> Connection::check(PGresult* raw, std::string_view what) {
  QueryResult result(raw);  // owns it on every path
  const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return tl::unexpected(error(raw, what));
  }
  changes_ += result.affected_rows();
  return result;
}

Result<std::string> Connection::prepare(std::string_view sql, const Params& params) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  std::string name = "dps_" + std::to_string(prepared_.size() + 1);
  std::vector<Oid> types;
  for (const Params::Param& p : params.items()) types.push_back(static_cast<Oid>(p.type));
  const std::string text(sql);
  auto prepared = check(PQprepare(conn_.get(), name.c_str(), text.c_str(),
                                  static_cast<int>(types.size()), types.data()),
                        "prepare");
  if (!prepared) return tl::unexpected(prepared.error());
  prepared_.emplace(text, name);
  return name;
}

Result<QueryResult> Connection::exec(std::string_view sql, const Params& params) {
  auto name = prepare(sql, params);
  if (!name) return tl::unexpected(name.error());
  const Marshalled m(params.items());
  return check(PQexecPrepared(conn_.get(), name->c_str(), m.size(), m.values.data(),
                              m.lengths.data(), m.formats.data(), /*resultFormat=*/0),
               "query");
}

Result<void> Connection::exec_script(const std::string& script) {
  auto done = check(PQexec(conn_.get(), script.c_str()), "exec");
  if (!done) return tl::unexpected(done.error());
  return {};
}

Result<std::vector<int64_t>> Connection::exec_batch_in_transaction(std::string_view sql,
                                                                   std::span<const Params> batch) {
  auto name = prepare(sql, batch.front());
  if (!name) return tl::unexpected(name.error());
  PGconn* c = conn_.get();
  if (PQenterPipelineMode(c) != 1) return tl::unexpected(error(nullptr, "enter pipeline mode"));

  // Send everything, then read everything: the server runs the statements back to back and the
  // batch costs one round trip. (libpq reads while it waits to write, so a long batch cannot
  // deadlock against the server's replies.)
  auto send_plain = [c](const char* command) {
    return PQsendQueryParams(c, command, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  };
  bool sent = send_plain("BEGIN");
  for (const Params& params : batch) {
    if (!sent) break;
    const Marshalled m(params.items());
    sent = PQsendQueryPrepared(c, name->c_str(), m.size(), m.values.data(), m.lengths.data(),
                               m.formats.data(), 0) == 1;
  }
  sent = sent && send_plain("COMMIT") && PQpipelineSync(c) == 1;
  if (!sent) {
    Error e = error(nullptr, "send batch");
    poisoned_ = true;  // half a pipeline is queued: the session's state is unknown
    return tl::unexpected(std::move(e));
  }

  // One result per command (BEGIN, each statement, COMMIT), each followed by a null, then the
  // sync point. After a failure the server skips the rest (PGRES_PIPELINE_ABORTED) and the
  // COMMIT with them, so nothing of the batch is applied.
  std::optional<Error> first_error;
  std::vector<int64_t> affected;
  affected.reserve(batch.size());
  const size_t commands = batch.size() + 2;
  for (size_t i = 0; i < commands; ++i) {
    PGresult* raw = PQgetResult(c);
    if (raw == nullptr) {  // the connection broke under us
      if (!first_error) first_error = error(nullptr, "read batch results");
      poisoned_ = true;
      return tl::unexpected(std::move(*first_error));
    }
    QueryResult result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK) {
      changes_ += result.affected_rows();
      if (i > 0 && i + 1 < commands) affected.push_back(result.affected_rows());
    } else if (status != PGRES_PIPELINE_ABORTED && !first_error) {
      first_error = error(raw, i == 0              ? std::string("begin")
                               : i + 1 == commands ? std::string("commit")
                                                   : "batch statement " + std::to_string(i - 1));
    }
    if (PGresult* extra = PQgetResult(c); extra != nullptr) {
      PQclear(extra);
      if (!first_error) first_error = error(nullptr, "unexpected batch result");
      poisoned_ = true;
      return tl::unexpected(std::move(*first_error));
    }
  }
  PGresult* sync = PQgetResult(c);
  const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || PQexitPipelineMode(c) != 1) {
    if (!first_error) first_error = error(nullptr, "finish batch");
    poisoned_ = true;
    return tl::unexpected(std::move(*first_error));
  }
  if (first_error) {
    // A failure before COMMIT leaves the session in an aborted transaction; end it so the
    // connection can serve the next call. (A failed COMMIT has already ended it.)
    if (PQtransactionStatus(c) != PQTRANS_IDLE && !exec_script("ROLLBACK")) poisoned_ = true;
    return tl::unexpected(std::move(*first_error));
  }
  return affected;
}

bool Connection::reusable() const {
  PGconn* c = conn_.get();
  return !poisoned_ && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE &&
         PQpipelineStatus(c) == PQ_PIPELINE_OFF;
}

bool Connection::healthy() {
  if (!reusable()) return false;
  PGconn* c = conn_.get();
  // An idle session has nothing to read unless the server spoke on its own, which for a pool
  // connection means it is going away (the FATAL of a shutdown, then EOF). Reading that is the
  // only way to learn of it without a round trip; a few reads see both the message and the EOF.
  for (int attempt = 0; attempt < 4; ++attempt) {
    pollfd fd{PQsocket(c), POLLIN, 0};
    const int ready = ::poll(&fd, 1, 0);
    if (ready == 0) return true;
    if (ready < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (PQconsumeInput(c) != 1 || PQstatus(c) != CONNECTION_OK) return false;
    while (PGnotify* n = PQnotifies(c)) PQfreemem(n);  // not ours to act on here
  }
  return PQstatus(c) == CONNECTION_OK;
}

// --- Transaction

Result<Transaction> Transaction::begin(Connection& connection) {
  auto begun = connection.exec_script("BEGIN");
  if (!begun) return tl::unexpected(begun.error());
  return Transaction(connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  if (connection_ == nullptr) return;
  PGconn* c = connection_->handle();
  // A broken connection has nothing to roll back (the server does it when the session ends).
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) {
    if (!connection_->exec_script("ROLLBACK")) connection_->poison();
  }
}

Result<void> Transaction::commit() {
  if (PQtransactionStatus(connection_->handle()) == PQTRANS_INERROR) {
    // COMMIT would "succeed" as a ROLLBACK; callers stop at the first error, so this is a bug.
    return fail(ErrorCode::Internal, "commit of a failed transaction", std::string(kErrorText));
  }
  auto committed = connection_->exec_script("COMMIT");
  if (!committed) return committed;  // the destructor rolls back if the session still can
  connection_ = nullptr;
  return {};
}

}  // namespace dps::store::postgres
