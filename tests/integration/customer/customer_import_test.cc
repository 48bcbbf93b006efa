// CUS-12: CSV import over the bidirectional ImportCustomers stream (any
// chunking, per-row report, bad rows rejected with the field, duplicates
// updated, consent, custom fields, 100k rows) and CSV export (filters,
// segments, CSV-injection escape, round trip).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/csv_reader.h"
#include "libs/events/envelope.h"
#include "libs/grpcx/status.h"
#include "store/customer/v1/events.pb.h"
#include "tests/integration/customer/customer_fixture.h"

namespace store::customer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kDefaultGroup[] = "00000000-0000-4000-8000-000000000001";

struct ImportReport {
  grpc::Status status;
  std::vector<v1::ImportRowResult> rows;  // by row number
  int64_t created = 0, updated = 0, rejected = 0;
  int messages = 0;

  const v1::ImportRowResult* Row(int64_t row) const {
    for (const auto& r : rows) {
      if (r.row() == row) return &r;
    }
    return nullptr;
  }
  std::vector<v1::ImportOutcome> Outcomes() const {
    std::vector<v1::ImportOutcome> out;
    for (const auto& r : rows) out.push_back(r.outcome());
    return out;
  }
};

// Row, line and outcome of every row result, for comparing reports.
std::string Summary(const ImportReport& r) {
  std::vector<std::string> parts;
  for (const auto& row : r.rows) {
    parts.push_back(absl::StrCat(row.row(), "@", row.line(), ":",
                                 v1::ImportOutcome_Name(row.outcome()), ":", row.email(), ":",
                                 row.reason()));
  }
  return absl::StrJoin(parts, "\n");
}

class ImportTest : public CustomerFixture {
 protected:
  // Streams `csv` in chunks of `chunk` bytes while reading the report.
  ImportReport Import(const std::string& csv, size_t chunk = 64 * 1024,
                      std::optional<bool> update_existing = std::nullopt,
                      std::chrono::seconds deadline = std::chrono::seconds(60)) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-actor", "staff:importer");
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    auto stream = stub_->ImportCustomers(&ctx);
    ImportReport report;
    std::thread reader([&] {
      v1::ImportCustomersResponse resp;
      while (stream->Read(&resp)) {
        ++report.messages;
        for (const auto& r : resp.rows()) report.rows.push_back(r);
        report.created = resp.created();
        report.updated = resp.updated();
        report.rejected = resp.rejected();
      }
    });
    for (size_t at = 0; at < csv.size() || at == 0; at += chunk) {
      v1::ImportCustomersRequest req;
      req.set_chunk(csv.substr(at, chunk));
      if (at == 0 && update_existing.has_value()) req.set_update_existing(*update_existing);
      if (!stream->Write(req)) break;
      if (csv.empty()) break;
    }
    stream->WritesDone();
    reader.join();
    report.status = stream->Finish();
    std::sort(report.rows.begin(), report.rows.end(),
              [](const auto& a, const auto& b) { return a.row() < b.row(); });
    return report;
  }

  v1::Customer Get(const std::string& id) {
    v1::GetCustomerRequest req;
    req.set_id(id);
    v1::Customer out;
    grpc::Status s = stub_->GetCustomer(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  int64_t Count(const std::string& sql) { return Sql(sql)[0][0].as<int64_t>(); }

  int64_t Customers() { return Count("SELECT count(*) FROM customers"); }

  std::string DefineField(const std::string& key, v1::CustomFieldType type,
                          std::vector<std::string> choices = {}, int max_length = 0) {
    v1::DefineCustomFieldRequest req;
    req.mutable_field()->set_key(key);
    req.mutable_field()->set_label(key);
    req.mutable_field()->set_type(type);
    req.mutable_field()->set_max_length(max_length);
    for (auto& c : choices) req.mutable_field()->add_choices(c);
    v1::CustomField out;
    grpc::Status s = stub_->DefineCustomField(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.key();
  }

  std::string CreateGroup(const std::string& name) {
    v1::CreateGroupRequest req;
    req.set_name(name);
    v1::CustomerGroup out;
    grpc::Status s = stub_->CreateGroup(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.id();
  }

  std::vector<v1::ConsentRecord> Consents(const std::string& customer_id) {
    v1::ListConsentsRequest req;
    req.set_customer_id(customer_id);
    v1::ListConsentsResponse resp;
    grpc::Status s = stub_->ListConsents(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.records().begin(), resp.records().end()};
  }

  // The whole export for `filter`.
  std::string Export(const v1::CustomerFilter& filter = v1::CustomerFilter(),
                     int* chunks = nullptr) {
    v1::ExportCustomersRequest req;
    *req.mutable_filter() = filter;
    auto ctx = Ctx();
    auto reader = stub_->ExportCustomers(ctx.get(), req);
    std::string out;
    v1::ExportChunk chunk;
    int n = 0;
    while (reader->Read(&chunk)) {
      out += chunk.data();
      ++n;
    }
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (chunks != nullptr) *chunks = n;
    return out;
  }

  // Parses CSV with the reader the import uses; every record must be fine.
  static std::vector<std::vector<std::string>> ParseCsv(const std::string& csv) {
    CsvReader reader;
    reader.Feed(csv);
    reader.Finish();
    std::vector<std::vector<std::string>> out;
    CsvReader::Record rec;
    while (reader.Next(rec)) {
      EXPECT_TRUE(rec.ok()) << "record " << rec.number << ": " << rec.error;
      out.push_back(rec.fields);
    }
    return out;
  }
};

// ---- Import ----

TEST_F(ImportTest, CreatesCustomersWithOptionalColumns) {
  const std::string vip = CreateGroup("VIP");
  DefineField("shoe_size", v1::CUSTOM_FIELD_TYPE_NUMBER);
  DefineField("tier", v1::CUSTOM_FIELD_TYPE_CHOICE, {"gold", "silver"});
  const ImportReport r = Import(
      "name,email,password,phone,country,group,tax_exempt,accepts_marketing,custom.shoe_size,"
      "custom.tier\n"
      "Ann Able,ANN@Example.com,correct horse battery,+49 30 1234567,de,vip,yes,true,42.50,gold\n"
      "Bob Baker,bob@example.com,,,,,,,,\n");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.created, 2);
  EXPECT_EQ(r.updated, 0);
  EXPECT_EQ(r.rejected, 0);
  ASSERT_EQ(r.rows.size(), 2u) << Summary(r);
  EXPECT_THAT(r.Outcomes(), ElementsAre(v1::IMPORT_OUTCOME_CREATED, v1::IMPORT_OUTCOME_CREATED));
  EXPECT_EQ(r.rows[0].row(), 2);
  EXPECT_EQ(r.rows[0].line(), 2);
  EXPECT_EQ(r.rows[0].email(), "ann@example.com");
  EXPECT_EQ(r.rows[1].row(), 3);
  EXPECT_EQ(r.rows[1].line(), 3);

  const v1::Customer ann = Get(r.rows[0].customer_id());
  EXPECT_EQ(ann.email(), "ann@example.com");
  EXPECT_EQ(ann.name(), "Ann Able");
  EXPECT_EQ(ann.phone(), "+49301234567");
  EXPECT_EQ(ann.country_code(), "DE");
  EXPECT_EQ(ann.group_id(), vip);
  EXPECT_TRUE(ann.tax_exempt());
  EXPECT_TRUE(ann.has_account());
  EXPECT_EQ(ann.state(), v1::ACCOUNT_STATE_ACTIVE);
  EXPECT_TRUE(ann.email_marketing().granted());
  EXPECT_EQ(ann.email_marketing().source(), "import");
  EXPECT_EQ(ann.custom_fields().at("shoe_size"), "42.5");
  EXPECT_EQ(ann.custom_fields().at("tier"), "gold");

  const v1::Customer bob = Get(r.rows[1].customer_id());
  EXPECT_EQ(bob.name(), "Bob Baker");
  EXPECT_FALSE(bob.has_account());
  EXPECT_FALSE(bob.tax_exempt());
  EXPECT_FALSE(bob.email_marketing().granted());
  EXPECT_TRUE(bob.custom_fields().empty());

  // The imported password works.
  v1::AuthenticateCustomerRequest auth;
  auth.set_email("ann@example.com");
  auth.set_password("correct horse battery");
  v1::AuthenticateCustomerResponse auth_resp;
  grpc::Status s = stub_->AuthenticateCustomer(Ctx().get(), auth, &auth_resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(auth_resp.customer().id(), ann.id());

  auto registered = OutboxEvents("store.customer.v1.CustomerRegistered");
  ASSERT_EQ(registered.size(), 2u);
  for (const auto& env : registered) {
    v1::CustomerRegistered e;
    ASSERT_TRUE(events::UnpackPayload(env, &e).ok());
    EXPECT_EQ(e.source(), "import");
    EXPECT_EQ(env.aggregate_id(), e.customer().id());
  }
}

TEST_F(ImportTest, BomCrlfQuotedFieldsAndLineNumbers) {
  const std::string csv =
      "\xEF\xBB\xBFName,Email,Country\r\n"                       // line 1, record 1
      "\"Smith, Ann\",ann@example.com,DE\r\n"                    // line 2, row 2
      "\"Bob \"\"The Builder\"\" Baker\",bob@example.com,\r\n"   // line 3, row 3
      "\"Carl\r\nCarlson\",carl@example.com,US\r\n"              // lines 4-5, row 4
      "\r\n"                                                     // line 6: blank, skipped
      "\"Dora, \"\"D\"\"\",\"dora@example.com\",\"AT\"\r\n"      // line 7, row 5
      "\"Eve\",\"eve, at example.com\",\r\n"                     // line 8, row 6
      "\"Fay\nFay\",fay@example.com,\n"                          // lines 9-10, row 7 (LF only)
      "Gus,gus@example.com,FR";                                  // line 11, row 8, no line break
  const ImportReport r = Import(csv);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.rows.size(), 7u) << Summary(r);
  struct Want {
    int64_t row, line;
    v1::ImportOutcome outcome;
    std::string email;
  };
  const std::vector<Want> want = {
      {2, 2, v1::IMPORT_OUTCOME_CREATED, "ann@example.com"},
      {3, 3, v1::IMPORT_OUTCOME_CREATED, "bob@example.com"},
      {4, 4, v1::IMPORT_OUTCOME_REJECTED, "carl@example.com"},
      {5, 7, v1::IMPORT_OUTCOME_CREATED, "dora@example.com"},
      {6, 8, v1::IMPORT_OUTCOME_REJECTED, "eve, at example.com"},
      {7, 9, v1::IMPORT_OUTCOME_REJECTED, "fay@example.com"},
      {8, 11, v1::IMPORT_OUTCOME_CREATED, "gus@example.com"},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].email);
    EXPECT_EQ(r.rows[i].row(), want[i].row);
    EXPECT_EQ(r.rows[i].line(), want[i].line);
    EXPECT_EQ(r.rows[i].outcome(), want[i].outcome) << r.rows[i].reason();
    EXPECT_EQ(r.rows[i].email(), want[i].email);
  }
  // A line break inside a name is kept by the CSV and refused by the name rule.
  EXPECT_THAT(r.rows[2].reason(), StartsWith("name:"));
  EXPECT_THAT(r.rows[4].reason(), StartsWith("email:"));
  EXPECT_THAT(r.rows[5].reason(), StartsWith("name:"));
  EXPECT_EQ(r.created, 4);
  EXPECT_EQ(r.rejected, 3);
  EXPECT_EQ(Get(r.rows[0].customer_id()).name(), "Smith, Ann");
  EXPECT_EQ(Get(r.rows[0].customer_id()).country_code(), "DE");
  EXPECT_EQ(Get(r.rows[1].customer_id()).name(), "Bob \"The Builder\" Baker");
  EXPECT_EQ(Get(r.rows[3].customer_id()).name(), "Dora, \"D\"");
  EXPECT_EQ(Get(r.rows[6].customer_id()).country_code(), "FR");
  EXPECT_EQ(Customers(), 4);
}

TEST_F(ImportTest, ChunkBoundariesAnywhere) {
  const std::string csv =
      "\xEF\xBB\xBFname,email,phone,accepts_marketing\r\n"
      "\"Quote \"\"Q\"\" Person\",q@example.com,+1 555 010 0100,yes\r\n"
      "\"Comma, Carla\",c@example.com,,\r\n"
      "Bad,bad-email,,\r\n"
      "\"Line\r\nBreak\",lb@example.com,,\r\n"
      "Last,last@example.com,0044 20 7946 0000,no";
  // One byte at a time.
  const ImportReport ones = Import(csv, 1);
  ASSERT_TRUE(ones.status.ok()) << ones.status.error_message();
  EXPECT_EQ(Summary(ones),
            "2@2:IMPORT_OUTCOME_CREATED:q@example.com:\n"
            "3@3:IMPORT_OUTCOME_CREATED:c@example.com:\n"
            "4@4:IMPORT_OUTCOME_REJECTED:bad-email:" +
                ones.rows[2].reason() +
                "\n"
                "5@5:IMPORT_OUTCOME_REJECTED:lb@example.com:" +
                ones.rows[3].reason() +
                "\n"
                "6@7:IMPORT_OUTCOME_CREATED:last@example.com:");
  EXPECT_THAT(ones.rows[2].reason(), StartsWith("email:"));
  EXPECT_EQ(ones.created, 3);
  EXPECT_EQ(ones.rejected, 2);
  ASSERT_EQ(ones.rows.size(), 5u);
  EXPECT_EQ(Get(ones.rows[0].customer_id()).name(), "Quote \"Q\" Person");
  EXPECT_EQ(Get(ones.rows[0].customer_id()).phone(), "+15550100100");
  EXPECT_EQ(Get(ones.rows[4].customer_id()).phone(), "+442079460000");

  // Every other chunk size gives the same rows and lines (now as updates).
  for (size_t chunk : {2u, 3u, 5u, 7u, 13u, 64u}) {
    SCOPED_TRACE(chunk);
    const ImportReport r = Import(csv, chunk);
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    ASSERT_EQ(r.rows.size(), ones.rows.size());
    for (size_t i = 0; i < r.rows.size(); ++i) {
      EXPECT_EQ(r.rows[i].row(), ones.rows[i].row());
      EXPECT_EQ(r.rows[i].line(), ones.rows[i].line());
      EXPECT_EQ(r.rows[i].email(), ones.rows[i].email());
      EXPECT_EQ(r.rows[i].reason(), ones.rows[i].reason());
      EXPECT_EQ(r.rows[i].customer_id(), ones.rows[i].customer_id());
      EXPECT_EQ(r.rows[i].outcome(), ones.rows[i].outcome() == v1::IMPORT_OUTCOME_CREATED
                                         ? v1::IMPORT_OUTCOME_UPDATED
                                         : v1::IMPORT_OUTCOME_REJECTED);
    }
  }
  EXPECT_EQ(Customers(), 3);
}

TEST_F(ImportTest, BadRowsAreRejectedWithTheFieldAndGoodRowsAroundThemCreated) {
  const ImportReport r = Import(
      "name,email,password,phone,group\n"
      "Good One,good1@example.com,,,\n"                  // 2
      "Bad Email,not-an-email,,,\n"                      // 3
      "Bad Phone,badphone@example.com,,12ab,\n"          // 4
      "Bad Group,badgroup@example.com,,,Nope\n"          // 5
      "Short Pw,shortpw@example.com,short,,\n"           // 6
      "Too,many@example.com,,,,extra\n"                  // 7
      "Few,few@example.com\n"                            // 8
      "Stray \"quote\",stray@example.com,,,\n"           // 9
      "Good Two,good2@example.com,,,\n"                  // 10
      ",noname@example.com,,,\n"                         // 11
      "No Country Code,nocc@example.com,,030 1234567,\n"  // 12
      "\"Unclosed,open@example.com,,,\n"                 // 13.. to the end
      "Good Three,good3@example.com,,+1 (555) 010-9999,default\n");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  std::map<int64_t, const v1::ImportRowResult*> by_row;
  for (const auto& row : r.rows) by_row[row.row()] = &row;
  auto reason = [&](int64_t row) {
    return by_row.count(row) ? by_row[row]->reason() : std::string("<no row>");
  };
  auto outcome = [&](int64_t row) {
    return by_row.count(row) ? by_row[row]->outcome() : v1::IMPORT_OUTCOME_UNSPECIFIED;
  };
  EXPECT_EQ(outcome(2), v1::IMPORT_OUTCOME_CREATED);
  EXPECT_EQ(outcome(10), v1::IMPORT_OUTCOME_CREATED);
  for (int64_t row : {3, 4, 5, 6, 7, 8, 9, 11, 12, 13}) {
    EXPECT_EQ(outcome(row), v1::IMPORT_OUTCOME_REJECTED) << row << ": " << reason(row);
  }
  EXPECT_THAT(reason(3), StartsWith("email:"));
  EXPECT_THAT(reason(4), StartsWith("phone:"));
  EXPECT_THAT(reason(5), StartsWith("group:"));
  EXPECT_THAT(reason(6), StartsWith("password:"));
  EXPECT_THAT(reason(7), HasSubstr("6 fields but the header has 5 columns"));
  EXPECT_THAT(reason(8), HasSubstr("2 fields but the header has 5 columns"));
  EXPECT_THAT(reason(9), StartsWith("name:"));
  EXPECT_THAT(reason(9), HasSubstr("stray quote"));
  EXPECT_THAT(reason(11), StartsWith("name:"));
  EXPECT_THAT(reason(12), StartsWith("phone:"));
  EXPECT_THAT(reason(13), StartsWith("name:"));  // the quote never closes
  EXPECT_THAT(reason(13), HasSubstr("not closed"));
  EXPECT_EQ(by_row[3]->email(), "not-an-email");
  EXPECT_EQ(by_row[4]->email(), "badphone@example.com");
  EXPECT_EQ(by_row[9]->line(), 9);
  EXPECT_EQ(r.created, 2);
  EXPECT_EQ(r.rejected, 10);
  EXPECT_EQ(r.rows.size(), 12u) << Summary(r);
  EXPECT_EQ(Customers(), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE email IN ('good1@example.com',"
                  " 'good2@example.com')"),
            2);

  // Without the unclosed quote, the last good row is created too, in the
  // default group named in the file.
  const ImportReport r2 = Import(
      "name,email,password,phone,group\n"
      "Bad Group,badgroup@example.com,,,Nope\n"
      "Good Three,good3@example.com,,+1 (555) 010-9999,default\n");
  ASSERT_TRUE(r2.status.ok());
  ASSERT_EQ(r2.rows.size(), 2u);
  EXPECT_EQ(r2.rows[1].outcome(), v1::IMPORT_OUTCOME_CREATED);
  const v1::Customer three = Get(r2.rows[1].customer_id());
  EXPECT_EQ(three.phone(), "+15550109999");
  EXPECT_EQ(three.group_id(), kDefaultGroup);
}

TEST_F(ImportTest, ExistingEmailIsUpdatedNotDuplicated) {
  const v1::Customer old = Create("old@example.com", "Old Name");
  ASSERT_FALSE(old.id().empty());
  const ImportReport r = Import(
      "name,email,phone,country\n"
      "New Name,OLD@example.com,,gb\n"
      "Fresh,fresh@example.com,,\n");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].outcome(), v1::IMPORT_OUTCOME_UPDATED);
  EXPECT_EQ(r.rows[0].customer_id(), old.id());
  EXPECT_EQ(r.rows[1].outcome(), v1::IMPORT_OUTCOME_CREATED);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(r.created, 1);
  const v1::Customer now = Get(old.id());
  EXPECT_EQ(now.name(), "New Name");
  EXPECT_EQ(now.country_code(), "GB");
  EXPECT_GT(now.version(), old.version());
  EXPECT_EQ(Customers(), 2);
  auto updates = OutboxEvents("store.customer.v1.CustomerUpdated");
  ASSERT_EQ(updates.size(), 1u);
  v1::CustomerUpdated e;
  ASSERT_TRUE(events::UnpackPayload(updates[0], &e).ok());
  EXPECT_EQ(e.customer().id(), old.id());
  EXPECT_EQ(e.customer().name(), "New Name");
  EXPECT_EQ(updates[0].aggregate_version(), now.version());
}

TEST_F(ImportTest, SameEmailTwiceInOneFileUpdatesTheFirst) {
  const ImportReport r = Import(
      "name,email\n"
      "First,twice@example.com\n"
      "Other,other@example.com\n"
      "Second,TWICE@example.com\n");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_THAT(r.Outcomes(), ElementsAre(v1::IMPORT_OUTCOME_CREATED, v1::IMPORT_OUTCOME_CREATED,
                                        v1::IMPORT_OUTCOME_UPDATED));
  EXPECT_EQ(r.rows[2].customer_id(), r.rows[0].customer_id());
  EXPECT_EQ(Get(r.rows[0].customer_id()).name(), "Second");
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE email = 'twice@example.com'"), 1);
  EXPECT_EQ(OutboxEvents("store.customer.v1.CustomerRegistered").size(), 2u);
  EXPECT_EQ(OutboxEvents("store.customer.v1.CustomerUpdated").size(), 1u);
}

TEST_F(ImportTest, UpdateExistingFalseRejectsExistingEmails) {
  const v1::Customer keep = Create("keep@example.com", "Keep");
  const ImportReport r = Import(
      "name,email\n"
      "Changed,keep@example.com\n"
      "New,new@example.com\n"
      "Again,new@example.com\n",
      64 * 1024, /*update_existing=*/false);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].outcome(), v1::IMPORT_OUTCOME_REJECTED);
  EXPECT_THAT(r.rows[0].reason(), StartsWith("email:"));
  EXPECT_THAT(r.rows[0].reason(), HasSubstr("exists"));
  EXPECT_EQ(r.rows[1].outcome(), v1::IMPORT_OUTCOME_CREATED);
  EXPECT_EQ(r.rows[2].outcome(), v1::IMPORT_OUTCOME_REJECTED);  // created by row 3
  EXPECT_EQ(r.created, 1);
  EXPECT_EQ(r.rejected, 2);
  EXPECT_EQ(Get(keep.id()).name(), "Keep");
  EXPECT_EQ(Get(keep.id()).version(), keep.version());
  EXPECT_TRUE(OutboxEvents("store.customer.v1.CustomerUpdated").empty());

  // Explicitly true is the default behaviour.
  const ImportReport r2 = Import("name,email\nChanged,keep@example.com\n", 64 * 1024, true);
  ASSERT_TRUE(r2.status.ok());
  ASSERT_EQ(r2.rows.size(), 1u);
  EXPECT_EQ(r2.rows[0].outcome(), v1::IMPORT_OUTCOME_UPDATED);
  EXPECT_EQ(Get(keep.id()).name(), "Changed");
}

TEST_F(ImportTest, BadHeaderIsInvalidArgumentNamingTheColumn) {
  DefineField("shoe_size", v1::CUSTOM_FIELD_TYPE_NUMBER);
  struct Bad {
    std::string csv, column;
  };
  const std::vector<Bad> bad = {
      {"name,phone\nAnn,+4930123456\n", "email"},
      {"email\nann@example.com\n", "name"},
      {"name,email,favourite_colour\nAnn,ann@example.com,red\n", "favourite_colour"},
      {"name,email,Name\nAnn,ann@example.com,Ann\n", "name"},
      {"\xEF\xBB\xBF Name , EMAIL ,custom.nope\nAnn,ann@example.com,1\n", "custom.nope"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.csv);
    for (size_t chunk : {64u * 1024u, 1u}) {
      const ImportReport r = Import(b.csv, chunk);
      EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_THAT(r.status.error_message(), HasSubstr(b.column));
      std::optional<common::v1::ErrorInfo> info = grpcx::ErrorInfoOf(r.status);
      ASSERT_TRUE(info.has_value());
      EXPECT_EQ(info->field(), "header");
      EXPECT_EQ(info->metadata().count("column") ? info->metadata().at("column") : "", b.column);
      EXPECT_TRUE(r.rows.empty());
    }
  }
  EXPECT_EQ(Customers(), 0);
  // Empty input: no header.
  const ImportReport empty = Import("");
  EXPECT_EQ(empty.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A header alone imports nothing.
  const ImportReport header_only = Import("name,email\r\n");
  EXPECT_TRUE(header_only.status.ok()) << header_only.status.error_message();
  EXPECT_TRUE(header_only.rows.empty());
  EXPECT_EQ(header_only.created, 0);
  // Known columns in any case and order, with spaces around them.
  const ImportReport mixed = Import(" EMAIL , Name ,custom.SHOE_SIZE\nann@example.com,Ann,43\n");
  ASSERT_TRUE(mixed.status.ok()) << mixed.status.error_message();
  ASSERT_EQ(mixed.rows.size(), 1u);
  EXPECT_EQ(Get(mixed.rows[0].customer_id()).custom_fields().at("shoe_size"), "43");
}

TEST_F(ImportTest, AcceptsMarketingCreatesOneConsentRecord) {
  const std::string csv =
      "name,email,accepts_marketing\n"
      "Yes,yes@example.com,true\n"
      "No,no@example.com,false\n"
      "Blank,blank@example.com,\n"
      "Bad,bad@example.com,maybe\n";
  const ImportReport r = Import(csv);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[3].outcome(), v1::IMPORT_OUTCOME_REJECTED);
  EXPECT_THAT(r.rows[3].reason(), StartsWith("accepts_marketing:"));
  const std::string yes = r.rows[0].customer_id();
  const std::string no = r.rows[1].customer_id();
  const std::string blank = r.rows[2].customer_id();
  std::vector<v1::ConsentRecord> records = Consents(yes);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].granted());
  EXPECT_EQ(records[0].channel(), v1::CONSENT_CHANNEL_EMAIL);
  EXPECT_EQ(records[0].level(), v1::CONSENT_LEVEL_SINGLE_OPT_IN);
  EXPECT_EQ(records[0].source(), "import");
  EXPECT_EQ(records[0].actor(), "staff:importer");
  EXPECT_TRUE(Consents(no).empty());
  EXPECT_TRUE(Consents(blank).empty());
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE accepts_marketing"), 1);
  EXPECT_EQ(OutboxEvents("store.customer.v1.ConsentChanged").size(), 1u);

  // The same file again changes no consent.
  ASSERT_TRUE(Import(csv).status.ok());
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records"), 1);
  // Withdrawing and granting are recorded once each.
  ASSERT_TRUE(Import("name,email,accepts_marketing\nYes,yes@example.com,no\n"
                     "No,no@example.com,yes\n")
                  .status.ok());
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records"), 3);
  records = Consents(yes);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[0].granted());  // newest first
  EXPECT_FALSE(Get(yes).email_marketing().granted());
  EXPECT_TRUE(Get(no).email_marketing().granted());
}

TEST_F(ImportTest, CustomColumnsAreValidatedByTheirDefinition) {
  DefineField("shoe_size", v1::CUSTOM_FIELD_TYPE_NUMBER);
  DefineField("tier", v1::CUSTOM_FIELD_TYPE_CHOICE, {"gold", "silver"});
  DefineField("birthday", v1::CUSTOM_FIELD_TYPE_DATE);
  DefineField("nickname", v1::CUSTOM_FIELD_TYPE_TEXT, {}, 5);
  const ImportReport r = Import(
      "name,email,custom.shoe_size,custom.tier,custom.birthday,custom.nickname\n"
      "A,a@example.com,42.50,gold,1990-02-03,Al\n"
      "B,b@example.com,abc,,,\n"
      "C,c@example.com,,platinum,,\n"
      "D,d@example.com,,,1990-02-30,\n"
      "E,e@example.com,,,,toolongname\n"
      "F,f@example.com,,,,\n"
      "G,g@example.com,-3.5,silver,,'=x\n");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.rows.size(), 7u) << Summary(r);
  EXPECT_THAT(r.Outcomes(),
              ElementsAre(v1::IMPORT_OUTCOME_CREATED, v1::IMPORT_OUTCOME_REJECTED,
                          v1::IMPORT_OUTCOME_REJECTED, v1::IMPORT_OUTCOME_REJECTED,
                          v1::IMPORT_OUTCOME_REJECTED, v1::IMPORT_OUTCOME_CREATED,
                          v1::IMPORT_OUTCOME_CREATED));
  EXPECT_THAT(r.rows[1].reason(), HasSubstr("shoe_size"));
  EXPECT_THAT(r.rows[2].reason(), HasSubstr("tier"));
  EXPECT_THAT(r.rows[3].reason(), HasSubstr("birthday"));
  EXPECT_THAT(r.rows[4].reason(), HasSubstr("nickname"));
  const v1::Customer a = Get(r.rows[0].customer_id());
  EXPECT_EQ(a.custom_fields().at("shoe_size"), "42.5");
  EXPECT_EQ(a.custom_fields().at("tier"), "gold");
  EXPECT_EQ(a.custom_fields().at("birthday"), "1990-02-03");
  EXPECT_EQ(a.custom_fields().at("nickname"), "Al");
  EXPECT_TRUE(Get(r.rows[5].customer_id()).custom_fields().empty());
  const v1::Customer g = Get(r.rows[6].customer_id());
  EXPECT_EQ(g.custom_fields().at("shoe_size"), "-3.5");
  EXPECT_EQ(g.custom_fields().at("nickname"), "=x");  // our export's escape undone

  // An update merges custom values: an empty cell keeps what is there.
  const ImportReport r2 = Import("name,email,custom.tier,custom.nickname\nA,a@example.com,silver,\n");
  ASSERT_TRUE(r2.status.ok());
  const v1::Customer a2 = Get(a.id());
  EXPECT_EQ(a2.custom_fields().at("tier"), "silver");
  EXPECT_EQ(a2.custom_fields().at("shoe_size"), "42.5");
  EXPECT_EQ(a2.custom_fields().at("nickname"), "Al");
}

TEST_F(ImportTest, HundredThousandRows) {
  constexpr int kRows = 100000;
  const char* countries[] = {"US", "DE", "FR", "GB", "AT", ""};
  std::string csv = "name,email,phone,country,accepts_marketing\r\n";
  csv.reserve(kRows * 64);
  int marketing = 0;
  for (int i = 0; i < kRows; ++i) {
    const bool am = i % 7 == 0;
    marketing += am;
    absl::StrAppendFormat(&csv, "Customer %d,bulk%06d@example.com,+1555%07d,%s,%s\r\n", i, i, i,
                          countries[i % 6], am ? "true" : "");
  }
  const auto start = std::chrono::steady_clock::now();
  const ImportReport r = Import(csv, 64 * 1024, std::nullopt, std::chrono::seconds(900));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  std::cout << "[ import ] " << kRows << " rows (" << csv.size() / 1024 << " KiB) in "
            << absl::StrFormat("%.2f", seconds) << " s = "
            << absl::StrFormat("%.0f", kRows / seconds) << " rows/s, " << r.messages
            << " response messages\n";
  EXPECT_EQ(r.rows.size(), static_cast<size_t>(kRows));
  EXPECT_EQ(r.created, kRows);
  EXPECT_EQ(r.rejected, 0);
  EXPECT_EQ(r.updated, 0);
  std::set<std::string> ids;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    ASSERT_EQ(r.rows[i].row(), static_cast<int64_t>(i) + 2);
    ASSERT_EQ(r.rows[i].line(), static_cast<int64_t>(i) + 2);
    ASSERT_EQ(r.rows[i].outcome(), v1::IMPORT_OUTCOME_CREATED) << r.rows[i].reason();
    ids.insert(r.rows[i].customer_id());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kRows));
  EXPECT_EQ(Customers(), kRows);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE event_type ="
                  " 'store.customer.v1.CustomerRegistered'"),
            kRows);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE accepts_marketing"), marketing);
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records"), marketing);
  EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE phone = '+15550012343' AND country = 'DE'"
                  " AND name = 'Customer 12343'"),
            1);
}

// ---- Export ----

class ExportTest : public ImportTest {
 protected:
  void SetUp() override {
    ImportTest::SetUp();
    if (HasFatalFailure()) return;
    DefineField("shoe_size", v1::CUSTOM_FIELD_TYPE_NUMBER);
    auto add = [&](const std::string& email, const std::string& name, const std::string& phone,
                   bool marketing, const std::string& size) {
      v1::CreateCustomerRequest req;
      req.mutable_customer()->set_email(email);
      req.mutable_customer()->set_name(name);
      req.mutable_customer()->set_phone(phone);
      req.mutable_customer()->set_country_code("DE");
      if (!size.empty()) (*req.mutable_customer()->mutable_custom_fields())["shoe_size"] = size;
      req.set_accepts_marketing(marketing);
      v1::Customer out;
      grpc::Status s = stub_->CreateCustomer(Ctx().get(), req, &out);
      ASSERT_TRUE(s.ok()) << email << ": " << s.error_message();
      ids_[email] = out.id();
      clock_.Advance(absl::Seconds(1));
    };
    add("formula@example.com", "=HYPERLINK(\"http://evil\",\"x\")", "+4930111111", true, "42");
    add("plus@example.com", "+Plus Person", "", false, "-1.5");
    add("minus@example.com", "-Minus Person", "+4930222222", true, "");
    add("at@example.com", "@At Person", "", false, "");
    add("comma@example.com", "Comma, \"Quoted\" Person", "+4930333333", false, "44");
    add("plain@example.com", "Plain Person", "", true, "");
    Sql("UPDATE customers SET total_spent = 123456, orders_count = 3 WHERE email ="
        " 'plain@example.com'");
  }

  std::map<std::string, std::string> ids_;  // email -> id
};

TEST_F(ExportTest, ExportsEveryCustomerAsCsvThatParsesBack) {
  int chunks = 0;
  const std::string csv = Export(v1::CustomerFilter(), &chunks);
  EXPECT_GE(chunks, 1);
  EXPECT_TRUE(absl::EndsWith(csv, "\r\n"));
  const auto records = ParseCsv(csv);
  ASSERT_EQ(records.size(), 7u) << csv;
  EXPECT_THAT(records[0], ElementsAre("id", "email", "name", "phone", "country", "group",
                                      "tax_exempt", "accepts_marketing", "email_verified", "state",
                                      "blocked", "guest", "orders_count", "total_spent",
                                      "first_order_at", "last_order_at", "wallet_balance",
                                      "created_at", "custom.shoe_size"));
  std::map<std::string, std::vector<std::string>> by_email;
  for (size_t i = 1; i < records.size(); ++i) {
    ASSERT_EQ(records[i].size(), records[0].size());
    by_email[records[i][1]] = records[i];
  }
  ASSERT_EQ(by_email.size(), 6u);
  for (const auto& [email, id] : ids_) {
    ASSERT_TRUE(by_email.count(email)) << email;
    EXPECT_EQ(by_email[email][0], id);
    EXPECT_EQ(by_email[email][4], "DE");
    EXPECT_EQ(by_email[email][9], "active");
  }
  // CSV injection: cells starting with = + - @ get a leading apostrophe.
  EXPECT_EQ(by_email["formula@example.com"][2], "'=HYPERLINK(\"http://evil\",\"x\")");
  EXPECT_EQ(by_email["plus@example.com"][2], "'+Plus Person");
  EXPECT_EQ(by_email["minus@example.com"][2], "'-Minus Person");
  EXPECT_EQ(by_email["at@example.com"][2], "'@At Person");
  EXPECT_EQ(by_email["formula@example.com"][3], "'+4930111111");
  EXPECT_EQ(by_email["plus@example.com"][18], "'-1.5");
  EXPECT_EQ(by_email["comma@example.com"][2], "Comma, \"Quoted\" Person");
  EXPECT_EQ(by_email["plain@example.com"][2], "Plain Person");
  EXPECT_EQ(by_email["plain@example.com"][7], "true");
  EXPECT_EQ(by_email["plain@example.com"][12], "3");
  EXPECT_EQ(by_email["plain@example.com"][13], "1234.56");
  EXPECT_EQ(by_email["comma@example.com"][7], "false");
  EXPECT_EQ(by_email["comma@example.com"][18], "44");
  // No raw formula anywhere at the start of a cell.
  for (size_t i = 1; i < records.size(); ++i) {
    for (const auto& cell : records[i]) {
      EXPECT_FALSE(!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' ||
                                     cell[0] == '@'))
          << cell;
    }
  }
  // Oldest first.
  EXPECT_EQ(records[1][1], "formula@example.com");
  EXPECT_EQ(records[6][1], "plain@example.com");
}

TEST_F(ExportTest, FiltersAndSegments) {
  v1::CustomerFilter marketing;
  marketing.set_accepts_marketing(true);
  auto emails = [&](const v1::CustomerFilter& f) {
    std::vector<std::string> out;
    const auto records = ParseCsv(Export(f));
    EXPECT_FALSE(records.empty());
    for (size_t i = 1; i < records.size(); ++i) out.push_back(records[i][1]);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_THAT(emails(marketing),
              ElementsAre("formula@example.com", "minus@example.com", "plain@example.com"));

  v1::CreateSegmentRequest seg;
  seg.mutable_segment()->set_name("Big feet or big spenders");
  seg.mutable_segment()->set_rule("custom.shoe_size >= 43 or total_spent > 1000");
  v1::Segment segment;
  grpc::Status s = stub_->CreateSegment(Ctx().get(), seg, &segment);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::CustomerFilter in_segment;
  in_segment.set_segment_id(segment.id());
  EXPECT_THAT(emails(in_segment), ElementsAre("comma@example.com", "plain@example.com"));
  in_segment.set_accepts_marketing(true);
  EXPECT_THAT(emails(in_segment), ElementsAre("plain@example.com"));

  v1::CustomerFilter none;
  none.set_text("nobody-matches-this");
  EXPECT_EQ(ParseCsv(Export(none)).size(), 1u);  // the header only

  v1::ExportCustomersRequest bad;
  bad.mutable_filter()->set_segment_id("00000000-0000-4000-8000-00000000dead");
  auto ctx = Ctx();
  auto reader = stub_->ExportCustomers(ctx.get(), bad);
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ExportTest, ExportImportsBackAsUpdates) {
  std::map<std::string, v1::Customer> before;
  for (const auto& [email, id] : ids_) before[email] = Get(id);
  const std::string csv = Export();
  clock_.Advance(absl::Minutes(1));
  // One byte at a time for good measure: the quoted, escaped cells survive.
  const ImportReport r = Import(csv, 17, /*update_existing=*/true);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.rows.size(), 6u) << Summary(r);
  for (const auto& row : r.rows) {
    EXPECT_EQ(row.outcome(), v1::IMPORT_OUTCOME_UPDATED) << row.email() << ": " << row.reason();
    EXPECT_EQ(row.customer_id(), ids_[row.email()]);
  }
  EXPECT_EQ(r.updated, 6);
  EXPECT_EQ(r.created, 0);
  EXPECT_EQ(r.rejected, 0);
  EXPECT_EQ(Customers(), 6);
  // Nothing changed but the version: names with = + - @ are not prefixed,
  // phones keep their +, consent is not re-recorded.
  for (const auto& [email, old] : before) {
    SCOPED_TRACE(email);
    const v1::Customer now = Get(old.id());
    EXPECT_EQ(now.name(), old.name());
    EXPECT_EQ(now.phone(), old.phone());
    EXPECT_EQ(now.country_code(), old.country_code());
    EXPECT_EQ(now.group_id(), old.group_id());
    EXPECT_EQ(now.email_marketing().granted(), old.email_marketing().granted());
    EXPECT_EQ(now.custom_fields().size(), old.custom_fields().size());
    for (const auto& [k, v] : old.custom_fields()) EXPECT_EQ(now.custom_fields().at(k), v);
    EXPECT_EQ(now.facts().total_spent().amount_minor(), old.facts().total_spent().amount_minor());
  }
  EXPECT_EQ(Count("SELECT count(*) FROM consent_records"), 3);
}

}  // namespace
}  // namespace store::customer
