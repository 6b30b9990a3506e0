// custos audit: the tamper-evident audit log of a data directory.
//   audit verify --data DIR [--key VKEY]   recompute every leaf, commitment,
//                                          row, the tree, every checkpoint
//                                          signature and their consistency
//   audit proof --data DIR --seq N [-o F] [--leaf-output L]
//                                          a C2SP tlog-proof file for entry N
//                                          (and the entry's leaf bytes)
//   audit key --data DIR                   the log's verifier key
//   audit check-proof FILE --key VKEY (--leaf-file F | --leaf-base64 B)
//                                          verify a tlog-proof offline
//   audit log --data DIR (--trainee ID | --record ENTITY/ID)   a history
//                                          (--json: with each leaf, base64)
// The data-directory commands open the records store, so they run while
// `custos serve` is stopped (the API serves the same answers while it runs);
// audit verify also runs beside the server, on one pinned state.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "audit/audit_log.h"
#include "audit/signing.h"
#include "audit/verify.h"
#include "base/fs.h"
#include "cli/common.h"
#include "journal/checkpoint.h"
#include "journal/merkle.h"
#include "journal/merkle_verify.h"
#include "journal/tlog_proof.h"
#include "records/keystore.h"
#include "records/sqlite_store.h"

namespace custos::cli {

namespace {

struct AuditFlags {
  std::string data, key, out, leaf_out, proof_file, leaf_file, leaf_b64, trainee, record;
  uint64_t seq = 0;
};

Result<std::unique_ptr<records::RecordsStore>> OpenStore(const std::string& data) {
  if (data.empty()) return Status::InvalidArgument("no data directory: use --data DIR");
  if (!PathExists(JoinPath(data, "records.db")) && !PathExists(JoinPath(data, "keys"))) {
    return Status::NotFound(data + " is not a Custos data directory");
  }
  auto store = records::OpenSqliteStore(data);
  if (store.status().code() == Code::kLocked) {
    return Status::Locked(store.status().message() +
                          " (stop `custos serve`, or ask its /api/v1/audit endpoints)");
  }
  return store;
}

// A verifier key given as text or as a file holding it.
Result<std::string> ReadKeyArg(const std::string& arg) {
  if (PathExists(arg)) {
    ASSIGN_OR_RETURN(Bytes b, ReadWholeFile(arg));
    std::string s(AsString(b));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  return arg;
}

int RunVerify(const GlobalOptions& g, const AuditFlags& f) {
  std::string vkey;
  if (!f.key.empty()) {
    auto k = ReadKeyArg(f.key);
    if (!k.ok()) return Fail(k.status());
    vkey = *k;
  }
  // With `custos serve` running, the directory is verified as it stands:
  // one pinned state of the journal and rows, and the checkpoints signed
  // before it.
  auto store = OpenStore(f.data);
  const bool live = store.status().code() == Code::kLocked;
  if (!store.ok() && !live) return Fail(store.status());
  auto report =
      live ? audit::VerifyLiveDataDir(f.data, vkey) : audit::VerifyDataDir(**store, f.data, vkey);
  if (!report.ok()) return Fail(report.status());
  const auto& r = *report;
  if (g.json) {
    nlohmann::json pj = nlohmann::json::array();
    for (const auto& p : r.problems) pj.push_back({{"kind", p.kind}, {"message", p.message}});
    PrintJson(
        {{"ok", r.ok()},
         {"live", live},
         {"entries", r.entries},
         {"checkpoints", r.checkpoints},
         {"seconds", r.seconds},
         {"entries_per_second", r.seconds > 0 ? static_cast<double>(r.entries) / r.seconds : 0.0},
         {"problems", pj}});
  } else {
    for (const auto& p : r.problems)
      std::printf("FAIL %s: %s\n", p.kind.c_str(), p.message.c_str());
    std::printf("%s: %llu entries, %llu checkpoints verified in %.2f s%s\n",
                r.ok() ? "ok" : "PROBLEMS", static_cast<unsigned long long>(r.entries),
                static_cast<unsigned long long>(r.checkpoints), r.seconds,
                live ? " (beside the running server: the state at the start)" : "");
  }
  return r.ok() ? kExitOk : kExitProblems;
}

// A data directory's store and audit log, opened for one command (the log
// is closed first).
struct OpenedLog {
  std::unique_ptr<records::RecordsStore> store;
  std::unique_ptr<audit::AuditLog> log;
};

Result<OpenedLog> OpenLog(const std::string& data) {
  OpenedLog o;
  ASSIGN_OR_RETURN(o.store, OpenStore(data));
  audit::AuditLogOptions options;
  options.data_dir = data;
  ASSIGN_OR_RETURN(o.log, audit::AuditLog::Open(*o.store, options));
  return o;
}

int RunProof(const GlobalOptions& g, const AuditFlags& f) {
  auto opened = OpenLog(f.data);
  if (!opened.ok()) return Fail(opened.status());
  auto& [store, log] = *opened;
  auto text = log->TlogProof(f.seq);
  if (!text.ok()) return Fail(text.status());
  if (!f.leaf_out.empty()) {
    // What check-proof needs besides the proof: the leaf it proves.
    auto entries = store->ReadJournal(f.seq, f.seq);
    if (!entries.ok()) return Fail(entries.status());
    if (entries->size() != 1)
      return Fail(Status::NotFound("no journal entry " + std::to_string(f.seq)));
    Status st = AtomicWriteFile(f.leaf_out, entries->front().leaf, 0644);
    if (!st.ok()) return Fail(st);
    if (!g.quiet) std::fprintf(stderr, "wrote %s\n", f.leaf_out.c_str());
  }
  if (f.out.empty() || f.out == "-") {
    std::fwrite(text->data(), 1, text->size(), stdout);
  } else {
    Status st = AtomicWriteFile(f.out, AsBytes(*text), 0644);
    if (!st.ok()) return Fail(st);
    if (!g.quiet) std::fprintf(stderr, "wrote %s\n", f.out.c_str());
  }
  return kExitOk;
}

int RunKey(const GlobalOptions& g, const AuditFlags& f) {
  auto opened = OpenLog(f.data);
  if (!opened.ok()) return Fail(opened.status());
  const std::string& key = opened->log->VerifierKey();
  if (g.json) {
    PrintJson({{"key", key}});
  } else {
    std::printf("%s\n", key.c_str());
  }
  return kExitOk;
}

int RunCheckProof(const GlobalOptions& g, const AuditFlags& f) {
  auto text = ReadWholeFile(f.proof_file);
  if (!text.ok()) return Fail(text.status());
  auto vkey = ReadKeyArg(f.key);
  if (!vkey.ok()) return Fail(vkey.status());
  auto verifier = journal::ParseNoteVerifier(*vkey);
  if (!verifier.ok()) return Fail(verifier.status());
  Bytes leaf;
  if (!f.leaf_file.empty()) {
    auto b = ReadWholeFile(f.leaf_file);
    if (!b.ok()) return Fail(b.status());
    leaf = std::move(*b);
  } else {
    auto b = FromBase64(f.leaf_b64);
    if (!b.ok()) return Fail(Status::InvalidArgument("--leaf-base64 is not base64"));
    leaf = std::move(*b);
  }
  auto v = journal::VerifyTlogProofOfLeaf(AsString(*text), leaf, *verifier, verifier->name());
  if (!v.ok()) {
    std::fprintf(stderr, "custos: proof does not verify: %s\n", v.status().message().c_str());
    return kExitProblems;
  }
  if (g.json) {
    PrintJson({{"ok", true},
               {"index", v->index},
               {"seq", v->index + 1},
               {"tree_size", v->checkpoint.size},
               {"origin", v->checkpoint.origin}});
  } else {
    std::printf("ok: entry %llu is in the log %s of size %llu\n",
                static_cast<unsigned long long>(v->index + 1), v->checkpoint.origin.c_str(),
                static_cast<unsigned long long>(v->checkpoint.size));
  }
  return kExitOk;
}

int RunLog(const GlobalOptions& g, const AuditFlags& f) {
  if (f.trainee.empty() == f.record.empty()) {
    return Fail(Status::InvalidArgument("give exactly one of --trainee ID or --record ENTITY/ID"));
  }
  auto store = OpenStore(f.data);
  if (!store.ok()) return Fail(store.status());
  const size_t slash = f.record.find('/');
  if (!f.record.empty() && slash == std::string::npos) {
    return Fail(Status::InvalidArgument("--record takes ENTITY/ID"));
  }
  auto hist = !f.trainee.empty()
                  ? (*store)->SubjectHistory(f.trainee, {})
                  : (*store)->History(f.record.substr(0, slash), f.record.substr(slash + 1), {});
  if (!hist.ok()) return Fail(hist.status());
  // Reading a trainee's history, or the history of one of their records,
  // is a read of their personal data (as through the API).
  const records::Actor actor{"cli", "admin"};
  if (!f.trainee.empty()) {
    auto seq = (*store)->LogAccess(actor, f.trainee, "trainee", f.trainee, "cli audit log");
    if (!seq.ok()) return Fail(seq.status());
  } else if (!hist->empty() && hist->back().entry.subject_id != records::kInstitutionSubject) {
    auto seq = (*store)->LogAccess(actor, hist->back().entry.subject_id, hist->back().entry.entity,
                                   hist->back().entry.record_id, "cli audit log");
    if (!seq.ok()) return Fail(seq.status());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : *hist) {
    nlohmann::json j = records::LeafToJson(h.leaf);
    j["seq"] = h.entry.seq;
    j["leaf"] = ToBase64(h.entry.leaf);  // for check-proof --leaf-base64
    if (h.payload) {
      j["reason"] = h.payload->reason ? nlohmann::json(*h.payload->reason) : nlohmann::json();
      j["after"] = h.payload->after ? nlohmann::json::parse(*h.payload->after, nullptr, false)
                                    : nlohmann::json();
    } else {
      j["payload"] = "erased";
    }
    out.push_back(j);
  }
  if (g.json) {
    PrintJson(out);
    return kExitOk;
  }
  for (const auto& h : *hist) {
    std::printf("%8llu  %s  %-8s %s/%s v%llu%s\n", static_cast<unsigned long long>(h.entry.seq),
                records::FormatTimeMicros(h.entry.time_micros).c_str(),
                std::string(records::EventTypeName(h.leaf.event)).c_str(), h.entry.entity.c_str(),
                h.entry.record_id.c_str(), static_cast<unsigned long long>(h.leaf.record_version),
                h.payload ? "" : "  (payload erased)");
  }
  return kExitOk;
}

}  // namespace

void RegisterAudit(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto f = std::make_shared<AuditFlags>();
  CLI::App* cmd = app.add_subcommand("audit", "the tamper-evident audit log");
  cmd->require_subcommand(1);
  CLI::App* verify = cmd->add_subcommand("verify", "recompute and check the whole audit log");
  verify->add_option("--data", f->data, "data directory")->required();
  verify->add_option("--key", f->key, "verifier key (text or file); default: the directory's");
  verify->callback([&g, &exit_code, f] { exit_code = RunVerify(g, *f); });
  CLI::App* proof = cmd->add_subcommand("proof", "write a C2SP tlog-proof file for an entry");
  proof->add_option("--data", f->data, "data directory")->required();
  proof->add_option("--seq", f->seq, "journal entry")->required();
  proof->add_option("-o,--output", f->out, "file to write (default: stdout)");
  proof->add_option("--leaf-output", f->leaf_out, "also write the entry's leaf bytes here");
  proof->callback([&g, &exit_code, f] { exit_code = RunProof(g, *f); });
  CLI::App* key = cmd->add_subcommand("key", "print the log's verifier key (vkey)");
  key->add_option("--data", f->data, "data directory")->required();
  key->callback([&g, &exit_code, f] { exit_code = RunKey(g, *f); });
  CLI::App* check = cmd->add_subcommand("check-proof", "verify a tlog-proof file offline");
  check->add_option("file", f->proof_file, "the .tlog-proof file")->required();
  check->add_option("--key", f->key, "the log's verifier key (text or file)")->required();
  auto* lf = check->add_option("--leaf-file", f->leaf_file, "the entry's leaf bytes");
  auto* lb = check->add_option("--leaf-base64", f->leaf_b64, "the entry's leaf bytes, base64");
  lf->excludes(lb);
  check->callback([&g, &exit_code, f] {
    if (f->leaf_file.empty() && f->leaf_b64.empty()) {
      exit_code = Fail(Status::InvalidArgument("give --leaf-file or --leaf-base64"));
      return;
    }
    exit_code = RunCheckProof(g, *f);
  });
  CLI::App* log = cmd->add_subcommand("log", "history of a trainee or a record");
  log->add_option("--data", f->data, "data directory")->required();
  log->add_option("--trainee", f->trainee, "trainee id (their whole file)");
  log->add_option("--record", f->record, "ENTITY/ID");
  log->callback([&g, &exit_code, f] { exit_code = RunLog(g, *f); });
}

}  // namespace custos::cli
