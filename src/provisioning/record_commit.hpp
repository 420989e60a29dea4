// Bridges the group-commit writer's callback (on its own thread) back onto a conversation's
// executor as an Asio async operation, so a device conversation can `co_await` the durability of
// its record before it answers.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <memory>

#include "store/record_writer.hpp"

namespace dps::provisioning {

template <class CompletionToken>
auto async_commit(store::RecordWriter& writer, store::ProvisioningRecord record,
                  CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(Result<void>)>(
      [&writer](auto handler, store::ProvisioningRecord update) {
        // RecordWriter::Callback is a std::function (copyable); the handler is move-only.
        using Handler = decltype(handler);
        auto shared = std::make_shared<Handler>(std::move(handler));
        writer.submit(std::move(update), [shared](Result<void> result) {
          auto executor = boost::asio::get_associated_executor(*shared);
          boost::asio::post(executor, [shared, result = std::move(result)]() mutable {
            (*shared)(std::move(result));
          });
        });
      },
      token, std::move(record));
}

}  // namespace dps::provisioning
