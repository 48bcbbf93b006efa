// The customer service's SQL for customers, addresses, notes, consents,
// tokens, groups, settings, custom fields and the blacklist. Every function
// runs in the caller's transaction; statements are prepared once per
// connection and always parameterised. Segment, wallet, order-facts and
// erasure SQL live next door (segment_store.h, wallet_store.h, facts_store.h).
#ifndef STORE_SERVICES_CUSTOMER_STORE_CUSTOMER_STORE_H_
#define STORE_SERVICES_CUSTOMER_STORE_CUSTOMER_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/core/paging.h"
#include "libs/pg/values.h"
#include "store/customer/v1/customer.pb.h"
#include "store/customer/v1/customer_service.pb.h"

namespace store::customer {

inline constexpr char kSource[] = "customer-service";
inline constexpr char kDefaultGroupId[] = "00000000-0000-4000-8000-000000000001";
inline constexpr char kGuestsGroupId[] = "00000000-0000-4000-8000-000000000002";

// Writes `payload` for the customer topic (key = customer id) to the outbox.
void PublishCustomerEvent(pqxx::transaction_base& tx, const google::protobuf::Message& payload,
                          const std::string& customer_id, int64_t version, absl::Time now);

// Columns the store keeps besides the proto fields.
struct NewCustomer {
  v1::Customer customer;      // email, name, phone, country_code, group_id, tax_exempt, blocked,
                              // custom_fields, state, guest, email_verified
  std::string request_id;     // may be empty
  std::string password_hash;  // empty = no account
};

class CustomerStore {
 public:
  static std::optional<v1::Customer> Load(pqxx::transaction_base& tx, absl::string_view currency,
                                          const std::string& id, bool for_update,
                                          bool with_addresses = true);
  static std::optional<v1::Customer> LoadByEmail(pqxx::transaction_base& tx,
                                                 absl::string_view currency,
                                                 const std::string& email, bool for_update,
                                                 bool with_addresses = true);
  static std::optional<v1::Customer> LoadByRequestId(pqxx::transaction_base& tx,
                                                     absl::string_view currency,
                                                     const std::string& request_id);
  // Many customers at once, without addresses (bulk operations).
  static std::vector<v1::Customer> LoadMany(pqxx::transaction_base& tx, absl::string_view currency,
                                            const std::vector<std::string>& ids);
  static std::string PasswordHash(pqxx::transaction_base& tx, const std::string& id);

  // False when the email is taken (nothing written).
  static bool Insert(pqxx::transaction_base& tx, const std::string& id, const NewCustomer& c,
                     absl::Time now);
  // Writes the profile columns of `c` (email, name, phone, country, group,
  // tax_exempt, blocked, state, custom, guest, email_verified), bumps the
  // version and returns the new one. False when the new email is taken.
  static bool UpdateProfile(pqxx::transaction_base& tx, const v1::Customer& c, absl::Time now);
  // Bumps version and update time (after a change to a dependent table).
  static int64_t Touch(pqxx::transaction_base& tx, const std::string& id, absl::Time now);
  static void SetPasswordHash(pqxx::transaction_base& tx, const std::string& id,
                              const std::string& hash);
  // Writes the latest consent state of a channel (and accepts_marketing for email).
  static void SetConsentState(pqxx::transaction_base& tx, const std::string& id,
                              v1::ConsentChannel channel, const v1::ConsentState& state);
  static bool Delete(pqxx::transaction_base& tx, const std::string& id);

  // Addresses.
  static std::vector<v1::CustomerAddress> ListAddresses(pqxx::transaction_base& tx,
                                                        const std::string& customer_id);
  static void InsertAddress(pqxx::transaction_base& tx, const std::string& customer_id,
                            const v1::CustomerAddress& address, absl::Time now);
  static bool UpdateAddress(pqxx::transaction_base& tx, const std::string& customer_id,
                            const v1::CustomerAddress& address);
  static bool DeleteAddress(pqxx::transaction_base& tx, const std::string& customer_id,
                            const std::string& address_id);
  // Clears the default flags of the customer's other addresses.
  static void ClearDefaults(pqxx::transaction_base& tx, const std::string& customer_id,
                            const std::string& keep_id, bool shipping, bool billing);

  // Notes.
  static void InsertNote(pqxx::transaction_base& tx, const v1::CustomerNote& note);
  static std::vector<v1::CustomerNote> ListNotes(pqxx::transaction_base& tx,
                                                 const std::string& customer_id);

  // Consent ledger.
  static void InsertConsent(pqxx::transaction_base& tx, const v1::ConsentRecord& record);
  static std::vector<v1::ConsentRecord> ListConsents(pqxx::transaction_base& tx,
                                                     const std::string& customer_id);

  // Single-use tokens, by SHA-256 of the token.
  static void InsertToken(pqxx::transaction_base& tx, const std::string& token_hash,
                          const std::string& customer_id, const std::string& purpose,
                          absl::Time expires_at, absl::Time now);
  // Marks the token used and returns its customer, when it exists, has this
  // purpose, is unused and not expired.
  static std::optional<std::string> ConsumeToken(pqxx::transaction_base& tx,
                                                 const std::string& token_hash,
                                                 const std::string& purpose, absl::Time now);

  // Settings.
  static v1::CustomerSettings LoadSettings(pqxx::transaction_base& tx);
  static void SaveSettings(pqxx::transaction_base& tx, const v1::CustomerSettings& settings);

  // Groups.
  static std::optional<v1::CustomerGroup> LoadGroup(pqxx::transaction_base& tx,
                                                    const std::string& id);
  static std::vector<v1::CustomerGroup> ListGroups(pqxx::transaction_base& tx);
  // False when the name is taken.
  static bool InsertGroup(pqxx::transaction_base& tx, const v1::CustomerGroup& group);
  static bool UpdateGroup(pqxx::transaction_base& tx, const v1::CustomerGroup& group);
  static bool DeleteGroup(pqxx::transaction_base& tx, const std::string& id);
  // Moves customers (those that exist) into the group; returns the ids moved.
  static std::vector<std::string> AssignGroup(pqxx::transaction_base& tx,
                                              const std::string& group_id,
                                              const std::vector<std::string>& customer_ids,
                                              absl::Time now);
  // Name and discount of a group (cheap: no member count).
  static std::optional<std::pair<std::string, int>> GroupDiscount(pqxx::transaction_base& tx,
                                                                  const std::string& id);

  // Custom fields.
  static std::vector<v1::CustomField> ListCustomFields(pqxx::transaction_base& tx);
  static void UpsertCustomField(pqxx::transaction_base& tx, const v1::CustomField& field);
  static bool DeleteCustomField(pqxx::transaction_base& tx, const std::string& key);

  // Blacklist.
  static void InsertBlacklist(pqxx::transaction_base& tx, const v1::BlacklistEntry& entry);
  // The entry as stored, or nothing when there is no such entry.
  static std::optional<v1::BlacklistEntry> UpdateBlacklist(pqxx::transaction_base& tx,
                                                           const v1::BlacklistEntry& entry);
  static bool DeleteBlacklist(pqxx::transaction_base& tx, const std::string& id);
  static std::vector<v1::BlacklistEntry> ListBlacklist(pqxx::transaction_base& tx,
                                                       const std::string& text,
                                                       const std::optional<KeysetCursor>& after,
                                                       int limit);
  // The first entry matching the email or the phone (either may be empty).
  static std::optional<v1::BlacklistEntry> FindBlacklisted(pqxx::transaction_base& tx,
                                                           const std::string& email,
                                                           const std::string& phone);

  // Everything the checkout guard needs, for any number of buyers in one
  // statement: the customer (by id, else by email), the first blacklist
  // entry matching the given or the customer's email or phone, and the
  // discount of their group (or of `fallback_group_id`). One result per
  // key, in order.
  struct CheckoutKey {
    std::string customer_id;  // empty for a guest
    std::string email;        // normalized, or empty
    std::string phone;        // normalized, or empty
    std::string fallback_group_id;
  };
  struct CheckoutFacts {
    bool found = false;
    bool erased = false;
    bool blocked = false;
    v1::AccountState state = v1::ACCOUNT_STATE_UNSPECIFIED;
    std::optional<std::string> blacklist_reason;
    std::string group_name;
    int discount_bp = 0;
    std::string group_id;
  };
  static std::vector<CheckoutFacts> Checkouts(pqxx::transaction_base& tx,
                                              const std::vector<CheckoutKey>& keys);

  // A page of customers (up to limit + 1 rows); without addresses.
  // `segment_sql`/`segment_params`: an extra compiled condition over `c`
  // whose placeholders start at $1 (the filter's own follow).
  static std::vector<v1::Customer> List(pqxx::transaction_base& tx, absl::string_view currency,
                                        const v1::CustomerFilter& filter,
                                        const std::string& segment_sql,
                                        const std::vector<std::string>& segment_params,
                                        v1::CustomerSortField sort, bool ascending,
                                        const std::optional<KeysetCursor>& after, int limit);
  // The cursor of a listed customer for `sort`.
  static KeysetCursor CursorOf(const v1::Customer& c, v1::CustomerSortField sort);
};

// Value helpers of every store (libs/pg/values.h).
using pg::Bytes;
using pg::ContainsPattern;
using pg::FromBytes;
using pg::PgTime;
using pg::TextArray;
using pg::TimestampFromMicros;

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_CUSTOMER_STORE_H_
