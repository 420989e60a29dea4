#include "bulk_create.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "exit_codes.hpp"

namespace dps::dpsctl {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Line {
  size_t number = 0;
  std::string text;
};

// Retries of one line, and the pause before the first (doubling after each).
constexpr int kRetries = 5;
constexpr std::chrono::milliseconds kFirstPause{250};

// 429 (over apis.http.rateLimit) and 503 were not applied; an unsent request was not either.
bool worth_retrying(const CliError& error) {
  return error.http_status() == 429 || error.http_status() == 503 || !error.request_sent();
}

struct Failure {
  size_t line = 0;
  ExitCode code = ExitCode::ApiRefused;
  std::string message;
};

json body_of(const std::string& text, const std::vector<std::string>& hub_ids) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    throw CliError(ExitCode::Usage,
                   "not a JSON object (the file has one create body per line, see --help)");
  }
  if (!hub_ids.empty() && !body.contains("hubIds")) body["hubIds"] = hub_ids;
  return body;
}

std::string rate_line(size_t created, Clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const auto rate =
      static_cast<long long>(seconds > 0 ? static_cast<double>(created) / seconds : 0);
  const auto tenths = static_cast<long long>(seconds * 10);
  return "dpsctl: bulk-create: " + std::to_string(created) + " created in " +
         std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s, " +
         std::to_string(rate) + "/s\n";
}

// Workers take lines in file order under one lock, so when the lowest failing line is N every
// line before N was taken, sent and (being no lower failure) created; lines after N that were in
// flight complete too, and are counted.
class BulkRun {
 public:
  BulkRun(ApiResource& resource, std::istream& in, const BulkCreateOptions& options)
      : resource_(resource), in_(in), options_(options) {}

  size_t run(std::ostream& progress) {
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    running_ = options_.parallel;
    for (unsigned i = 0; i < options_.parallel; ++i) workers.emplace_back([this] { work(); });
    {
      std::unique_lock lock(mutex_);
      const auto every = std::chrono::duration<double>(options_.progress_seconds);
      while (running_ > 0) {
        if (options_.progress_seconds <= 0) {
          finished_.wait(lock, [this] { return running_ == 0; });
        } else if (!finished_.wait_for(lock, every, [this] { return running_ == 0; })) {
          progress << rate_line(created_, Clock::now() - start) << std::flush;
        }
      }
    }
    for (auto& worker : workers) worker.join();
    progress << rate_line(created_, Clock::now() - start) << std::flush;
    if (failure_) throw stopped(*failure_);
    return created_;
  }

 private:
  void work() {
    while (auto line = next()) {
      try {
        create(line->number, body_of(line->text, options_.hub_ids));
        ++created_;
      } catch (const CliError& error) {
        fail({line->number, error.code(), error.what()});
      } catch (const std::exception& error) {
        fail({line->number, ExitCode::ApiRefused, error.what()});
      }
    }
    const std::lock_guard lock(mutex_);
    if (--running_ == 0) finished_.notify_all();
  }

  void create(size_t line, const json& body) {
    auto pause = kFirstPause;
    for (int attempt = 0;; ++attempt) {
      pace();
      try {
        resource_.create(body);
        return;
      } catch (const CliError& error) {
        if (attempt == kRetries || !worth_retrying(error) || stopped_before(line)) throw;
      }
      std::this_thread::sleep_for(pause);
      pause *= 2;
    }
  }

  // Spaces request starts 1/rate apart across all workers: dps's default limits (50 requests a
  // second per token, 50 connections a second per address) refuse a faster client.
  void pace() {
    if (options_.rate <= 0) return;
    const auto gap = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options_.rate));
    Clock::time_point slot;
    {
      const std::lock_guard lock(mutex_);
      slot = std::max(Clock::now(), next_slot_);
      next_slot_ = slot + gap;
    }
    std::this_thread::sleep_until(slot);
  }

  // A line below `line` failed: this one's outcome no longer changes what is reported.
  bool stopped_before(size_t line) {
    const std::lock_guard lock(mutex_);
    return failure_ && failure_->line < line;
  }

  // The next non-blank line, or none once the file ends or a line has failed.
  std::optional<Line> next() {
    const std::lock_guard lock(mutex_);
    std::string text;
    while (!failure_ && std::getline(in_, text)) {
      ++line_number_;
      if (!text.empty() && text.back() == '\r') text.pop_back();  // CRLF files
      if (text.find_first_not_of(" \t") != std::string::npos) return Line{line_number_, text};
    }
    if (in_.bad() && !failure_) {
      failure_ = Failure{line_number_ + 1, ExitCode::Usage, "read error"};
    }
    return std::nullopt;
  }

  void fail(Failure failure) {
    const std::lock_guard lock(mutex_);
    if (!failure_ || failure.line < failure_->line) failure_ = std::move(failure);
  }

  CliError stopped(const Failure& failure) const {
    const std::string line = std::to_string(failure.line);
    return CliError(failure.code, options_.file + ":" + line + ": " + failure.message +
                                      "; stopped after creating " + std::to_string(created_) +
                                      " (every line before " + line + " was created" +
                                      (options_.parallel > 1 ? ", and some after it may be" : "") +
                                      ")");
  }

  ApiResource& resource_;
  std::istream& in_;
  const BulkCreateOptions& options_;
  std::mutex mutex_;  // guards in_, line_number_, failure_, running_, next_slot_
  Clock::time_point next_slot_;
  std::condition_variable finished_;
  size_t line_number_ = 0;
  std::optional<Failure> failure_;
  unsigned running_ = 0;
  std::atomic<size_t> created_{0};
};

}  // namespace

size_t bulk_create(ApiResource& resource, const BulkCreateOptions& options,
                   std::ostream& progress) {
  if (options.file == "-") return BulkRun(resource, std::cin, options).run(progress);
  std::error_code ec;
  if (std::filesystem::is_directory(options.file, ec)) {
    throw CliError(ExitCode::Usage, "cannot read \"" + options.file + "\": is a directory");
  }
  std::ifstream in(options.file);
  if (!in) {
    throw CliError(ExitCode::Usage,
                   "cannot read \"" + options.file + "\": " + std::strerror(errno));
  }
  return BulkRun(resource, in, options).run(progress);
}

}  // namespace dps::dpsctl
