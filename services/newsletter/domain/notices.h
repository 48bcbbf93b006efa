// The transactional notices (NEW-07): which merge tags each one knows, its
// built-in template, and which ones may not be switched off. Pure data and
// rules, no I/O.
#ifndef STORE_SERVICES_NEWSLETTER_DOMAIN_NOTICES_H_
#define STORE_SERVICES_NEWSLETTER_DOMAIN_NOTICES_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "store/newsletter/v1/newsletter.pb.h"

namespace store::newsletter {

// Every notice type, in enum order.
const std::vector<v1::NoticeType>& AllNoticeTypes();

// "order_shipped" for NOTICE_TYPE_ORDER_SHIPPED (logs, metrics, dedupe keys).
std::string NoticeName(v1::NoticeType type);

// The merge tags a notice's templates may use: the common ones ({firstname},
// {lastname}, {email}, {store_name}, {store_url}) plus the notice's own.
const absl::flat_hash_set<std::string>& NoticeTags(v1::NoticeType type);

// `tags` in alphabetical order (for listings and messages).
std::vector<std::string> TagsSorted(const absl::flat_hash_set<std::string>& tags);

// The built-in template (enabled, not customized).
v1::NoticeTemplate DefaultNotice(v1::NoticeType type);

// Security mails (email verification, password reset, subscription
// confirmation) cannot be switched off.
bool NoticeRequired(v1::NoticeType type);

// Checks an edited template: known type, subject present and one line,
// at least one body, every merge tag known to the notice (the error names
// the field, the tag and its position).
absl::Status ValidateNotice(const v1::NoticeTemplate& t);

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_DOMAIN_NOTICES_H_
