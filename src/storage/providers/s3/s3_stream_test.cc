#include "storage/providers/s3/s3_stream.h"

#include <gtest/gtest.h>

#include <thread>

namespace custos::s3 {
namespace {

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// Reads everything with reads of `step` bytes.
Result<Bytes> Drain(ResponsePipe& pipe, size_t step) {
  Bytes out;
  Bytes buf(step);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, pipe.Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
}

TEST(ResponsePipe, BytesArriveInOrderWhateverTheChunkAndReadSizes) {
  // Small buffer: the producer must block and hand over chunks directly.
  for (size_t max_buffered : {size_t{1}, size_t{1000}, size_t{1} << 20}) {
    for (size_t step : {size_t{1}, size_t{333}, size_t{1} << 16}) {
      ResponsePipe pipe(max_buffered);
      Bytes want;
      std::thread producer([&] {
        for (int i = 0; i < 50; ++i) {
          Bytes chunk = Pattern(100 + i * 37, static_cast<uint8_t>(i));
          want.insert(want.end(), chunk.begin(), chunk.end());
          ASSERT_TRUE(pipe.Push(chunk).ok());
        }
        pipe.Finish(Status::OK());
      });
      ASSERT_TRUE(pipe.WaitStart());
      auto got = Drain(pipe, step);
      producer.join();
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, want) << "max_buffered=" << max_buffered << " step=" << step;
    }
  }
}

TEST(ResponsePipe, TransferErrorReachesTheReaderAfterTheBytes) {
  ResponsePipe pipe;
  ASSERT_TRUE(pipe.Push(Pattern(10, 1)).ok());
  pipe.Finish(Status::Retryable("connection reset"));
  uint8_t buf[64];
  auto n = pipe.Read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10u);
  auto end = pipe.Read(buf, sizeof buf);
  ASSERT_FALSE(end.ok());
  EXPECT_TRUE(end.status().IsRetryable());
}

TEST(ResponsePipe, EmptyBodyEndsWithoutData) {
  ResponsePipe pipe;
  pipe.Finish(Status::OK());
  EXPECT_FALSE(pipe.WaitStart());
  uint8_t buf[4];
  auto n = pipe.Read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST(ResponsePipe, CloseUnblocksAFullProducer) {
  ResponsePipe pipe(8);
  ASSERT_TRUE(pipe.Push(Pattern(8, 0)).ok());  // fills the buffer
  Status pushed;
  std::thread producer([&] { pushed = pipe.Push(Pattern(8, 1)); });
  pipe.Close();
  producer.join();
  EXPECT_EQ(pushed.code(), Code::kCancelled);
}

}  // namespace
}  // namespace custos::s3
