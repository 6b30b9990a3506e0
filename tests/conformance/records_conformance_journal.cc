// RecordsStore conformance: the journal (one entry per write, leaves,
// payloads, commitments, access logging, erasure), group commit under
// concurrency, and persistence. See records_conformance.h.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

#include "crypto/hash.h"
#include "records/keystore.h"
#include "records_conformance.h"

namespace custos::records {
namespace {

// The commit listener runs after writers are acknowledged; give it a moment.
template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 2000 && !pred(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Process CPU time (user + system), in seconds: a throughput figure that
// does not depend on how busy the machine is.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

bool Contains(ByteView haystack, std::string_view needle) {
  return AsString(haystack).find(needle) != std::string_view::npos;
}

TEST_P(RecordsConformanceTest, EveryWriteAppendsExactlyOneEntry) {
  std::vector<CommittedEntry> heard;
  std::mutex mu;
  store().SetCommitListener([&](std::span<const CommittedEntry> entries) {
    std::lock_guard lock(mu);
    heard.insert(heard.end(), entries.begin(), entries.end());
  });
  uint64_t seq = store().LastSeq();
  EXPECT_EQ(seq, 0u);
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(store().LastSeq(), seq + 8);
  seq = store().LastSeq();
  auto upd = store().Update(registrar_, "assessment", g.assessment.id, 1,
                            {{"grade", "Distinction"}}, UpdateMode::kPatch, "remark");
  ASSERT_TRUE(upd.ok());
  EXPECT_EQ(store().LastSeq(), ++seq);
  ASSERT_TRUE(store().Delete(registrar_, "assessment", g.assessment.id, 2).ok());
  EXPECT_EQ(store().LastSeq(), ++seq);
  auto acc = store().LogAccess(registrar_, g.trainee.id, "trainee", g.trainee.id, "view");
  ASSERT_TRUE(acc.ok());
  EXPECT_EQ(*acc, ++seq);
  EXPECT_EQ(store().LastSeq(), seq);

  auto journal = store().ReadJournal(1, seq);
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), seq);
  for (size_t i = 0; i < journal->size(); ++i) {
    const JournalEntry& e = (*journal)[i];
    EXPECT_EQ(e.seq, i + 1);
    EXPECT_EQ(e.leaf_hash, LeafHash(e.leaf));
    auto leaf = DecodeLeaf(e.leaf);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_EQ(leaf->seq, e.seq);
    EXPECT_EQ(leaf->actor_role, "registrar");
  }
  // The assessment's chain: create -> update -> delete, linked by seq and hash.
  auto h = store().History("assessment", g.assessment.id, {});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].leaf.event, EventType::kCreate);
  EXPECT_EQ((*h)[1].leaf.event, EventType::kUpdate);
  EXPECT_EQ((*h)[2].leaf.event, EventType::kDelete);
  EXPECT_EQ((*h)[0].leaf.prev_seq, 0u);
  EXPECT_EQ((*h)[0].leaf.prev_leaf_hash, Hash256{});
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*h)[i].leaf.record_version, i + 1);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ((*h)[i].leaf.prev_seq, (*h)[i - 1].entry.seq);
    EXPECT_EQ((*h)[i].leaf.prev_leaf_hash, (*h)[i - 1].entry.leaf_hash);
  }
  EXPECT_EQ((*h)[1].payload->reason, "remark");
  // The listener heard the same entries, in order; ReadLeafHashes agrees.
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return heard.size() >= seq;
  }));
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(heard.size(), seq);
    for (size_t i = 0; i < heard.size(); ++i) {
      EXPECT_EQ(heard[i].seq, i + 1);
      EXPECT_EQ(heard[i].leaf, (*journal)[i].leaf);
      EXPECT_EQ(heard[i].leaf_hash, (*journal)[i].leaf_hash);
    }
  }
  std::vector<Hash256> hashes;
  ASSERT_TRUE(store()
                  .ReadLeafHashes(3, seq,
                                  [&](uint64_t s, const Hash256& lh) {
                                    EXPECT_EQ(s, hashes.size() + 3);
                                    hashes.push_back(lh);
                                  })
                  .ok());
  ASSERT_EQ(hashes.size(), seq - 2);
  EXPECT_EQ(hashes[0], (*journal)[2].leaf_hash);
  store().SetCommitListener(nullptr);
  EXPECT_TRUE(VerifyStoreAgainstJournal(store()).ok());
}

TEST_P(RecordsConformanceTest, LeavesCarryNoPersonalData) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  nlohmann::json t = Body("trainee", g);
  t["given_name"] = "Zebedee";
  t["family_name"] = "Quillfeather";
  t["email"] = "zebedee.quillfeather@example.net";
  t["uln"] = "1234567890";  // not a valid ULN? replaced below if rejected
  auto r = store().Create(registrar_, "trainee", t);
  if (!r.ok()) {
    t["uln"] = "9276308686";
    r = store().Create(registrar_, "trainee", t);
  }
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string uln = t["uln"];
  ASSERT_TRUE(store()
                  .Update(registrar_, "trainee", r->id, 1, {{"family_name", "Quillfeather-Smythe"}},
                          UpdateMode::kPatch, "Quillfeather asked")
                  .ok());
  ASSERT_TRUE(store().LogAccess(registrar_, r->id, "trainee", r->id, "Quillfeather file").ok());
  auto journal = store().ReadJournal(1, store().LastSeq());
  ASSERT_TRUE(journal.ok());
  for (const JournalEntry& e : *journal) {
    for (std::string_view pii :
         {std::string_view("Zebedee"), std::string_view("Quillfeather"),
          std::string_view("zebedee"), std::string_view("example.net"), std::string_view(uln),
          std::string_view("Alex"), std::string_view(registrar_.id)}) {
      EXPECT_FALSE(Contains(e.leaf, pii)) << "seq " << e.seq << " leaf holds " << pii;
      EXPECT_FALSE(Contains(e.payload, pii)) << "seq " << e.seq << " payload not encrypted";
      auto leaf = DecodeLeaf(e.leaf);
      ASSERT_TRUE(leaf.ok());
      EXPECT_EQ(LeafToJson(*leaf).dump().find(pii), std::string::npos);
    }
  }
}

TEST_P(RecordsConformanceTest, PayloadsDecryptAndCommitmentsVerify) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  auto v2 = store().Update(registrar_, "enrollment", g.enrollment.id, 1,
                           {{"status", "break_in_learning"}}, UpdateMode::kPatch, "on leave");
  if (!v2.ok()) {  // the model may spell the status differently
    v2 = store().Update(registrar_, "enrollment", g.enrollment.id, 1,
                        {{"planned_end_date", "2026-12-31"}}, UpdateMode::kPatch, "on leave");
  }
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  auto h = store().History("enrollment", g.enrollment.id, {});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  const HistoryEntry& create = (*h)[0];
  const HistoryEntry& update = (*h)[1];
  ASSERT_TRUE(create.payload && update.payload);
  EXPECT_FALSE(create.payload->before.has_value());
  EXPECT_EQ(create.payload->after, g.enrollment.data);
  EXPECT_EQ(update.payload->before, g.enrollment.data);
  EXPECT_EQ(update.payload->after, v2->data);
  EXPECT_EQ(update.payload->reason, "on leave");
  EXPECT_EQ(update.payload->actor, registrar_.id);
  EXPECT_EQ(update.payload->salt.size(), 32u);
  EXPECT_NE(create.payload->salt, update.payload->salt);
  for (const HistoryEntry& e : *h) {
    Bytes salted(e.payload->salt);
    salted.insert(salted.end(), e.payload->after->begin(), e.payload->after->end());
    EXPECT_EQ(Sha256(salted), e.leaf.commitment);
    auto p = store().DecryptPayload(e.entry);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, *e.payload);
    EXPECT_EQ(e.leaf.subject, store().SubjectPseudonym(g.trainee.id));
  }
  // A payload moved to another entry does not open.
  JournalEntry swapped = update.entry;
  swapped.payload = create.entry.payload;
  EXPECT_TRUE(store().DecryptPayload(swapped).status().IsCorruption());
  JournalEntry flipped = update.entry;
  flipped.payload[flipped.payload.size() / 2] ^= 1;
  EXPECT_TRUE(store().DecryptPayload(flipped).status().IsCorruption());
}

// Histories page by seq: the pages of any size, joined, are the whole
// history in seq order, and a page past the end is empty.
TEST_P(RecordsConformanceTest, HistoriesPageBySeq) {
  Graph g = MakeGraph();
  Graph other = MakeGraph("other");
  ASSERT_FALSE(HasFailure());
  uint64_t version = g.trainee.version;
  for (int i = 0; i < 6; ++i) {
    auto u = store().Update(registrar_, "trainee", g.trainee.id, version,
                            {{"phone", "01632 96010" + std::to_string(i)}}, UpdateMode::kPatch);
    ASSERT_TRUE(u.ok()) << u.status().ToString();
    version = u->version;
    // Another trainee's entries in between: pages skip them.
    ASSERT_TRUE(
        store().LogAccess(registrar_, other.trainee.id, "trainee", other.trainee.id, "x").ok());
  }
  auto seqs = [](const Result<std::vector<HistoryEntry>>& h) {
    std::vector<uint64_t> out;
    if (h.ok()) {
      for (const HistoryEntry& e : *h) out.push_back(e.entry.seq);
    }
    return out;
  };
  using Read = std::function<Result<std::vector<HistoryEntry>>(const HistoryQuery&)>;
  const std::pair<const char*, Read> reads[] = {
      {"record",
       [&](const HistoryQuery& q) { return store().History("trainee", g.trainee.id, q); }},
      {"subject", [&](const HistoryQuery& q) { return store().SubjectHistory(g.trainee.id, q); }}};
  for (const auto& [what, read] : reads) {
    SCOPED_TRACE(what);
    const std::vector<uint64_t> all = seqs(read({}));
    ASSERT_GE(all.size(), 7u);
    EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
    for (size_t limit : {1, 2, 3, 7, 100}) {
      std::vector<uint64_t> joined;
      uint64_t after = 0;
      while (true) {
        auto page = read({after, limit});
        ASSERT_TRUE(page.ok()) << page.status().ToString();
        ASSERT_LE(page->size(), limit);
        if (page->empty()) break;
        for (const HistoryEntry& e : *page) {
          EXPECT_GT(e.entry.seq, after);
          joined.push_back(e.entry.seq);
        }
        after = page->back().entry.seq;
      }
      EXPECT_EQ(joined, all) << "limit " << limit;
    }
    EXPECT_TRUE(read({all.back(), 10}).value().empty());
    EXPECT_EQ(seqs(read({all[2], 2})), (std::vector<uint64_t>{all[3], all[4]}));
  }
}

TEST_P(RecordsConformanceTest, AccessAndOtherEventsAreJournaled) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  Actor auditor{"tok_auditor_9", "auditor"};
  auto seq =
      store().LogAccess(auditor, g.trainee.id, "assessment", g.assessment.id, "funding audit 2026");
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  auto h = store().SubjectHistory(g.trainee.id, {});
  ASSERT_TRUE(h.ok());
  const HistoryEntry& last = h->back();
  EXPECT_EQ(last.entry.seq, *seq);
  EXPECT_EQ(last.leaf.event, EventType::kAccess);
  EXPECT_EQ(last.leaf.entity, "assessment");
  EXPECT_EQ(last.leaf.record_id, g.assessment.id);
  EXPECT_EQ(last.leaf.record_version, 1u);
  EXPECT_EQ(last.leaf.actor_role, "auditor");
  EXPECT_NE(last.leaf.actor, h->front().leaf.actor);  // another actor, another pseudonym
  ASSERT_TRUE(last.payload);
  EXPECT_EQ(last.payload->reason, "funding audit 2026");
  EXPECT_FALSE(last.payload->after.has_value());
  // Reads themselves do not write.
  const uint64_t s = store().LastSeq();
  ASSERT_TRUE(store().Get("trainee", g.trainee.id).ok());
  EXPECT_EQ(store().LastSeq(), s);
  // Unknown subjects and record-change event types are refused.
  EXPECT_TRUE(store().LogAccess(auditor, "nobody", "trainee", "nobody", "x").status().IsNotFound());
  EXPECT_EQ(
      store().LogAccess(auditor, g.trainee.id, "employer", g.employer.id, "x").status().code(),
      Code::kInvalidArgument);
  AuditEvent fake{EventType::kDelete, g.trainee.id, "trainee", g.trainee.id, {}, {}};
  EXPECT_EQ(store().AppendEvent(auditor, fake).status().code(), Code::kInvalidArgument);
  AuditEvent exp{EventType::kExport,      g.trainee.id, "export", "", R"({"format":"bagit"})",
                 "subject access request"};
  auto es = store().AppendEvent(auditor, exp);
  ASSERT_TRUE(es.ok()) << es.status().ToString();
  auto p = store().DecryptPayload(store().ReadJournal(*es, *es)->at(0));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->after, R"({"format":"bagit"})");
  EXPECT_TRUE(VerifyStoreAgainstJournal(store()).ok());
}

TEST_P(RecordsConformanceTest, ErasureShredsPayloadsAndKeepsLeaves) {
  Graph g = MakeGraph("Erased");
  Graph keep = MakeGraph("Kept");
  ASSERT_FALSE(HasFailure());
  auto before = store().SubjectHistory(g.trainee.id, {});
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->size(), 6u);  // trainee, enrollment, assessment, cert, attendance, evidence
  const uint64_t seq = store().LastSeq();
  Actor admin{"tok_admin", "admin"};
  Status st = store().DestroySubjectKey(admin, g.trainee.id, "GDPR Art. 17 request");
  ASSERT_TRUE(st.ok()) << st.ToString();
  // Six records removed plus the key: seven entries.
  EXPECT_EQ(store().LastSeq(), seq + 7);
  for (const auto& [entity, id] :
       std::vector<std::pair<std::string, std::string>>{{"trainee", g.trainee.id},
                                                        {"enrollment", g.enrollment.id},
                                                        {"evidence", g.evidence.id}}) {
    EXPECT_TRUE(store().Get(entity, id).status().IsNotFound()) << entity;
  }
  auto after = store().SubjectHistory(g.trainee.id, {});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->size(), 13u);
  for (const HistoryEntry& e : *after) {
    EXPECT_FALSE(e.payload.has_value()) << e.entry.seq;
    EXPECT_TRUE(DecodeLeaf(e.entry.leaf).ok());
    EXPECT_EQ(LeafHash(e.entry.leaf), e.entry.leaf_hash);
    EXPECT_TRUE(store().DecryptPayload(e.entry).status().IsNotFound());
  }
  EXPECT_EQ(after->back().leaf.event, EventType::kErase);
  EXPECT_EQ(after->back().leaf.entity, "subject");
  // Leaves unchanged by erasure.
  for (size_t i = 0; i < before->size(); ++i) {
    EXPECT_EQ((*after)[i].entry.leaf, (*before)[i].entry.leaf);
  }
  // The other trainee is untouched; the institution's records too.
  auto kept = store().History("trainee", keep.trainee.id, {});
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(kept->front().payload.has_value());
  EXPECT_TRUE(store().Get("employer", g.employer.id).ok());
  // No new writes for the erased subject; no second erasure.
  nlohmann::json enr = Body("enrollment", g);
  EXPECT_FALSE(store().Create(registrar_, "enrollment", enr).ok());
  EXPECT_TRUE(store().DestroySubjectKey(admin, g.trainee.id).IsNotFound());
  EXPECT_EQ(store().DestroySubjectKey(admin, std::string(kInstitutionSubject)).code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(VerifyStoreAgainstJournal(store()).ok());
  Reopen();
  after = store().SubjectHistory(g.trainee.id, {});
  ASSERT_TRUE(after.ok());
  for (const HistoryEntry& e : *after) EXPECT_FALSE(e.payload.has_value());
  Status v = VerifyStoreAgainstJournal(store());
  EXPECT_TRUE(v.ok()) << v.ToString();
}

TEST_P(RecordsConformanceTest, ConcurrentWritersShareCommits) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  constexpr int kThreads = 64;
  constexpr int kPerThread = 60;
  std::atomic<uint64_t> heard{0};
  std::atomic<bool> ordered{true};
  const uint64_t s_start = store().LastSeq();
  std::atomic<uint64_t> last_heard{s_start};
  store().SetCommitListener([&](std::span<const CommittedEntry> entries) {
    for (const CommittedEntry& e : entries) {
      if (e.seq <= s_start) continue;  // a late call for MakeGraph's writes
      if (e.seq != last_heard + 1) ordered = false;
      last_heard = e.seq;
      ++heard;
    }
  });
  const StoreStats s0 = store().Stats();
  std::vector<std::vector<std::string>> ids(kThreads);
  std::atomic<int> failures{0};
  const nlohmann::json body = Body("attendance", g);
  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = CpuSeconds();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store().Create(registrar_, "attendance", body);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        ids[t].push_back(r->id);
      }
    });
  }
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = CpuSeconds() - cpu0;
  const StoreStats s1 = store().Stats();
  const uint64_t writes = s1.writes - s0.writes;
  const uint64_t commits = s1.commits - s0.commits;
  std::printf(
      "[ INFO     ] %s: %d threads, %llu durable audited creates in %.3f s = %.0f/s, "
      "%llu commits (%.1f writes per commit), %.0f us CPU per write\n",
      GetParam().name.c_str(), kThreads, static_cast<unsigned long long>(writes), secs,
      static_cast<double>(writes) / secs, static_cast<unsigned long long>(commits),
      static_cast<double>(writes) / static_cast<double>(commits ? commits : 1),
      cpu * 1e6 / static_cast<double>(writes ? writes : 1));
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(writes, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LT(commits, writes);  // group commit: writes shared transactions
  EXPECT_TRUE(WaitFor([&] { return heard.load() >= writes; }));
  store().SetCommitListener(nullptr);
  EXPECT_EQ(heard.load(), writes);
  EXPECT_TRUE(ordered.load());

  // The same work as one import: one transaction, one fsync (the store's
  // cost per write without waiting for the disk).
  std::vector<ImportItem> rows(kThreads * kPerThread, ImportItem{1, body});
  t0 = std::chrono::steady_clock::now();
  cpu0 = CpuSeconds();
  auto imported = store().ImportBatch(registrar_, "attendance", rows);
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  cpu = CpuSeconds() - cpu0;
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  std::printf(
      "[ INFO     ] %s: one batch of %zu audited creates in %.3f s = %.0f/s, "
      "%.0f us CPU per write\n",
      GetParam().name.c_str(), rows.size(), secs, static_cast<double>(rows.size()) / secs,
      cpu * 1e6 / static_cast<double>(rows.size()));
  const uint64_t final_seq = store().LastSeq();

  Reopen();
  EXPECT_EQ(store().LastSeq(), final_seq);
  for (const auto& list : ids) {
    for (const std::string& id : list) {
      ASSERT_TRUE(store().Get("attendance", id).ok()) << id;
    }
  }
  Status v = VerifyStoreAgainstJournal(store());
  EXPECT_TRUE(v.ok()) << v.ToString();
}

TEST_P(RecordsConformanceTest, ReopenKeepsRecordsJournalAndKeys) {
  Graph g = MakeGraph();
  ASSERT_FALSE(HasFailure());
  auto v2 = store().Update(registrar_, "trainee", g.trainee.id, 1, {{"status", "completed"}},
                           UpdateMode::kPatch);
  if (!v2.ok()) {
    v2 = store().Update(registrar_, "trainee", g.trainee.id, 1, {{"phone", "01632 960009"}},
                        UpdateMode::kPatch);
  }
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  const uint64_t seq = store().LastSeq();
  const Pseudonym pseudonym = store().SubjectPseudonym(g.trainee.id);
  Reopen();
  EXPECT_EQ(store().LastSeq(), seq);
  auto got = store().Get("trainee", g.trainee.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *v2);
  EXPECT_EQ(store().SubjectPseudonym(g.trainee.id), pseudonym);
  auto h = store().History("trainee", g.trainee.id, {});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  ASSERT_TRUE(h->back().payload.has_value());
  EXPECT_EQ(h->back().payload->after, v2->data);
  // The journal continues where it stopped, linked to the old entries.
  ASSERT_TRUE(store().Delete(registrar_, "attendance", g.attendance.id, 1).ok());
  EXPECT_EQ(store().LastSeq(), seq + 1);
  Status v = VerifyStoreAgainstJournal(store());
  EXPECT_TRUE(v.ok()) << v.ToString();
}

}  // namespace
}  // namespace custos::records
