#include "libs/testing/private_postgres.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"

namespace store::testing {
namespace {

std::string PgBin(const std::string& tool) {
  const char* dir = std::getenv("STORE_PG_BIN");
  return absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/usr/lib/postgresql/15/bin", "/",
                      tool);
}

// The server refuses to run as root: as root, everything runs as postgres,
// from / (the test's directory may be closed to that user).
std::vector<std::string> AsOwner(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  argv.insert(argv.begin(),
              {"/usr/sbin/runuser", "-u", "postgres", "--", "/usr/bin/env", "-C", "/"});
  return argv;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PrivatePostgres>> PrivatePostgres::Create() {
  std::unique_ptr<PrivatePostgres> pg(new PrivatePostgres());
  char tmpl[] = "/tmp/store-fault-pg.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  pg->dir_ = tmpl;
  pg->data_ = pg->dir_ + "/data";
  pg->log_ = pg->dir_ + "/postgres.log";
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return absl::FailedPreconditionError("no user postgres to run the server");
    if (chown(pg->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("cannot chown ", pg->dir_));
    }
  }
  std::filesystem::permissions(pg->dir_, std::filesystem::perms::owner_all |
                                             std::filesystem::perms::group_exec |
                                             std::filesystem::perms::others_exec);
  if (absl::Status s = pg->Run({PgBin("initdb"), "-D", pg->data_, "-U", "postgres", "--auth=trust",
                                "--encoding=UTF8", "--no-locale"});
      !s.ok()) {
    return s;
  }
  pg->port_ = FreePort();
  // Throwaway, but commits are on disk before they are acknowledged (a
  // crash of the server must not lose an acknowledged order); fsync off
  // since the machine itself does not crash.
  std::ofstream(pg->data_ + "/postgresql.conf", std::ios::app)
      << "listen_addresses = '127.0.0.1'\nport = " << pg->port_
      << "\nunix_socket_directories = ''\nmax_connections = 100\nfsync = off\n";
  std::ofstream(pg->data_ + "/pg_hba.conf") << "host all all 127.0.0.1/32 trust\n";
  if (absl::Status s = pg->Start(); !s.ok()) return s;
  return pg;
}

PrivatePostgres::~PrivatePostgres() {
  if (!data_.empty()) (void)Stop(kImmediate);
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

absl::Status PrivatePostgres::Run(const std::vector<std::string>& argv) {
  ChildProcess p(AsOwner(argv), {}, log_ + ".tools");
  const int code = p.Wait(absl::Seconds(120));
  if (code != 0) {
    return absl::InternalError(absl::StrCat(argv[0], " failed (",
                                            code == INT_MIN ? "timeout" : absl::StrCat(code),
                                            "); see ", log_, ".tools and ", log_));
  }
  return absl::OkStatus();
}

absl::Status PrivatePostgres::Start() {
  return Run({PgBin("pg_ctl"), "start", "-D", data_, "-l", log_, "-w", "-t", "60"});
}

absl::Status PrivatePostgres::Stop(StopMode mode) {
  if (!std::filesystem::exists(data_ + "/postmaster.pid")) return absl::OkStatus();
  return Run({PgBin("pg_ctl"), "stop", "-D", data_, "-m", mode == kFast ? "fast" : "immediate",
              "-w", "-t", "60"});
}

std::string PrivatePostgres::Url(const std::string& dbname) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", dbname);
}

absl::StatusOr<std::string> PrivatePostgres::CreateDatabase(const std::string& name) {
  try {
    pqxx::connection conn(Url("postgres"));
    pqxx::nontransaction tx(conn);
    tx.exec0("CREATE DATABASE " + tx.quote_name(name));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("CREATE DATABASE ", name, ": ", e.what()));
  }
  return Url(name);
}

}  // namespace store::testing
