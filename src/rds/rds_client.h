// RdsClient: Amazon RDS as a backup action (ARCHITECTURE §3.4): take a DB
// snapshot of the instance that holds the records, and follow it to
// `available`. RDS is not a store; the vault only records which snapshots
// were taken (see catalogue.h).
//
// Contract
// - Speaks the RDS Query API (POST, form-encoded, Version 2014-10-31) signed
//   with SigV4 for service "rds". Credentials are never logged or put in
//   messages.
// - Each call makes one request and classifies the answer; it never retries.
//   Errors:
//     AlreadyExists     DBSnapshotAlreadyExists;
//     NotFound          DBInstanceNotFound, DBSnapshotNotFound;
//     Retryable         Throttling, RequestLimitExceeded, 5xx, transport
//                       failures (with Retry-After when sent);
//     PermissionDenied  a wrong key or secret, expired credentials, denied;
//     InvalidArgument   InvalidDBInstanceState and other client errors;
//     NoSpace           SnapshotQuotaExceeded;
//     Corruption        an answer that is not the XML the API documents.
//   Messages carry the AWS error code and message, which name the instance
//   or snapshot and never a secret.
// - Thread-safe when the http::Client is (it is).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "storage/http/http_client.h"
#include "storage/signers/sigv4.h"

namespace custos::rds {

struct DbSnapshot {
  std::string id;        // DBSnapshotIdentifier
  std::string instance;  // DBInstanceIdentifier
  std::string status;    // creating, available, failed, ...
  std::string create_time;
  std::string engine;
  int percent_progress = 0;
  std::string arn;
};

struct RdsOptions {
  std::string region = "us-east-1";
  std::string endpoint;  // empty: https://rds.<region>.amazonaws.com
  signers::AwsCredentials credentials;
};

// Fails a wait: the snapshot reached a state it cannot leave for `available`.
bool IsFailedSnapshotStatus(const std::string& status);

class RdsClient {
 public:
  // `http` must outlive the client.
  RdsClient(RdsOptions options, http::Client& http);

  Result<DbSnapshot> CreateSnapshot(const std::string& instance, const std::string& snapshot_id);
  // NotFound when no snapshot has that id.
  Result<DbSnapshot> DescribeSnapshot(const std::string& snapshot_id);
  // Snapshots of one instance (all instances when empty), following Marker.
  Result<std::vector<DbSnapshot>> ListSnapshots(const std::string& instance);

  // Polls DescribeSnapshot every `interval` until the snapshot is available
  // (returns it), reaches a failed state (InvalidArgument naming the state) or
  // `timeout` passes (Retryable "still <status> after ..."). Transient errors
  // while polling are tolerated until the timeout. `sleep` is injectable so
  // tests need not wait.
  using Sleeper = std::function<void(std::chrono::milliseconds)>;
  Result<DbSnapshot> WaitAvailable(const std::string& snapshot_id, std::chrono::seconds timeout,
                                   std::chrono::milliseconds interval, const Sleeper& sleep,
                                   const std::function<void(const DbSnapshot&)>& progress = {});

 private:
  Result<std::string> Call(const std::vector<std::pair<std::string, std::string>>& params);

  RdsOptions options_;
  http::Client& http_;
};

// Exposed for tests: parse a DBSnapshot list out of a Create/Describe answer,
// and classify an error answer.
Result<std::vector<DbSnapshot>> ParseSnapshots(const std::string& xml, std::string* marker);
Status ClassifyRdsError(int http_status, const std::string& xml,
                        std::optional<std::chrono::milliseconds> retry_after,
                        const std::string& action);

}  // namespace custos::rds
