#include "common/result.hpp"

#include <gtest/gtest.h>

namespace dps {
namespace {

// A server-side failure without an `external` text: what the peer sees must not be `internal`
// (file names, SQL, OpenSSL reasons), even when a new error path forgets to set `external`.
TEST(ErrorPeerMessage, ServerFailureWithoutExternalGetsGenericText) {
  const Error internal{ErrorCode::Internal, "/var/lib/dps/ca.key: cannot write: EACCES", {}};
  EXPECT_EQ(internal.peer_message(), "internal error");
  const Error unavailable{ErrorCode::Unavailable, "pq: could not connect to db.internal:5432", {}};
  EXPECT_EQ(unavailable.peer_message(), "temporarily unavailable");
}

TEST(ErrorPeerMessage, ExternalTextWinsForEveryCode) {
  for (ErrorCode code : {ErrorCode::Internal, ErrorCode::Unavailable, ErrorCode::BadRequest}) {
    const Error error{code, "secret detail", "try again later"};
    EXPECT_EQ(error.peer_message(), "try again later") << to_string(code);
  }
}

// Client errors describe the peer's own input, so the peer gets that description.
TEST(ErrorPeerMessage, ClientErrorKeepsItsDescription) {
  for (ErrorCode code : {ErrorCode::BadRequest, ErrorCode::Unauthenticated, ErrorCode::Forbidden,
                         ErrorCode::NotFound, ErrorCode::Conflict, ErrorCode::PayloadTooLarge}) {
    const Error error{code, "deviceId: not a UUID", {}};
    EXPECT_EQ(error.peer_message(), "deviceId: not a UUID") << to_string(code);
  }
}

}  // namespace
}  // namespace dps
