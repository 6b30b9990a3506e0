// The entity and field tables of docs/records-model.md, generated from the
// entity table. A unit test compares the document with this output, so the
// documentation cannot drift from the schema; set CUSTOS_UPDATE_DOCS=1 when
// running records_model_test to rewrite the generated part after a change.
//
// Pure function; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace custos::records {

inline constexpr std::string_view kGeneratedBegin =
    "<!-- BEGIN GENERATED: records model tables (records_model_test checks this) -->";
inline constexpr std::string_view kGeneratedEnd = "<!-- END GENERATED -->";

// Markdown: one section per entity with its URL plural, subject rule, writers
// and a table of fields (name, type, required, personal, constraints,
// description), then the server fields.
std::string RecordsModelMarkdown();

}  // namespace custos::records
