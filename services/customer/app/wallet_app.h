// Wallet (store credit, CUS-10) use cases. Every movement locks the
// customer's row, so concurrent debits of one wallet take turns and the
// balance can never go below zero; expired credits are written off (an
// EXPIRY entry) before any debit and by the expiry scheduler.
#ifndef STORE_SERVICES_CUSTOMER_APP_WALLET_APP_H_
#define STORE_SERVICES_CUSTOMER_APP_WALLET_APP_H_

#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/customer/app/customer_app.h"
#include "services/customer/app/customer_options.h"
#include "store/customer/v1/customer.pb.h"
#include "store/customer/v1/customer_service.pb.h"

namespace store::customer {

class WalletApp {
 public:
  WalletApp(pg::Pool& pool, const Clock& clock, CustomerOptions options = {})
      : pool_(pool), clock_(clock), options_(std::move(options)) {}

  absl::StatusOr<v1::WalletEntry> Credit(const v1::CreditWalletRequest& request,
                                         const Caller& caller);
  absl::StatusOr<v1::WalletEntry> Debit(const v1::DebitWalletRequest& request,
                                        const Caller& caller);
  absl::StatusOr<v1::ReverseWalletDebitResponse> Reverse(
      const v1::ReverseWalletDebitRequest& request, const Caller& caller);
  absl::StatusOr<v1::Wallet> Get(const v1::GetWalletRequest& request);

  // Writes off expired credits of up to `batch` customers; returns how many
  // customers had some. The scheduler calls it periodically.
  absl::StatusOr<int> ExpireDue(int batch = 500);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  CustomerOptions options_;
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_WALLET_APP_H_
