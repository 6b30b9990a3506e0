#include "records/model/json_parse.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "records/model/schema.h"

namespace custos::records {
namespace {

using nlohmann::json;

// Thrown from the parser callback and caught below; never leaves this file.
struct Rejected {
  std::string reason;
};

class StrictCallback {
 public:
  explicit StrictCallback(int max_depth) : max_depth_(max_depth) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        CountElement();
        if (static_cast<int>(keys_.size()) >= max_depth_) {
          throw Rejected{"JSON nests deeper than " + std::to_string(max_depth_) + " levels"};
        }
        if (keys_.empty()) top_is_array_ = event == json::parse_event_t::array_start;
        keys_.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!keys_.empty()) keys_.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys_.empty() && parsed.is_string() &&
            !keys_.back().insert(parsed.get<std::string>()).second) {
          std::string where = top_is_array_ && element_ > 0
                                  ? " in element " + std::to_string(element_)
                                  : std::string();
          const std::string& key = parsed.get_ref<const std::string&>();
          throw Rejected{
              "JSON object has " +
              (IsKnownFieldName(key) ? "the key \"" + key + "\"" : std::string("a key")) +
              " twice" + where};
        }
        break;
      case json::parse_event_t::value:
        CountElement();
        break;
    }
    return true;
  }

 private:
  // A value starting directly inside the top-level array is the next element.
  void CountElement() {
    if (keys_.size() == 1 && top_is_array_) ++element_;
  }

  int max_depth_;
  std::vector<std::set<std::string>> keys_;  // one set per open container
  bool top_is_array_ = false;
  size_t element_ = 0;
};

}  // namespace

Result<json> ParseJsonStrict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::InvalidArgument("JSON input is " + std::to_string(text.size()) +
                                   " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  try {
    StrictCallback cb(limits.max_depth);
    return json::parse(text.begin(), text.end(), std::ref(cb), /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const Rejected& r) {
    return Status::InvalidArgument(r.reason);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based; the message of e quotes input, so it is not used.
    const size_t end = std::min(text.size(), e.byte == 0 ? size_t{0} : e.byte - 1);
    size_t line = 1, column = 1;
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return Status::InvalidArgument("JSON syntax error at line " + std::to_string(line) +
                                   ", column " + std::to_string(column));
  } catch (const std::exception&) {
    return Status::InvalidArgument("JSON input could not be parsed");
  }
}

}  // namespace custos::records
