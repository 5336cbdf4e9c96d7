// A training step of a spinalnet model on libtorch's CPU kernels (oneDNN convolutions, OpenMP threads): the
// forward pass of a small layer program (written by src/training/engines/libtorch/torchProgram.ts from the tfjs
// model), the weighted softmax cross-entropy, and autograd's backward to every weight. Weights, dropout
// masks and the batch come from JavaScript each step (tfjs keeps the weights and runs the optimizer, as
// with onnxruntime), gradients go back into buffers JavaScript allocated. Why libtorch: its batch-64 step
// is what PyTorch runs, and onnxruntime's could not be brought to it
// (docs/performance.md#what-was-tried-and-what-holds).
#include <node_api.h>
#include <torch/torch.h>
#include <condition_variable>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

enum Op { CONV = 1, MAXPOOL = 2, BATCHNORM = 3, ACT = 4, DROPOUT = 5, FLATTEN = 6, PERMUTE = 7, DENSE = 8, SPINAL = 9 };
enum Act { LINEAR = 0, RELU = 1, TANH = 2, SIGMOID = 3 };

struct Program {
  std::vector<double> code;
  std::vector<std::vector<int64_t>> weightShapes;
  int threads = 1;
};

struct Buffers {  // one step's JavaScript memory, held by references until the step resolves
  float* x = nullptr;
  std::vector<int64_t> xShape;  // NHWC
  int32_t* labels = nullptr;
  float* sampleWeights = nullptr;
  std::vector<float*> masks, weights, grads, means, variances;
  float* logits = nullptr;
  float* loss = nullptr;
};

torch::Tensor activate(const torch::Tensor& z, int kind) {
  switch (kind) {
    case LINEAR: return z;
    case RELU: return torch::relu(z);
    case TANH: return torch::tanh(z);
    case SIGMOID: return torch::sigmoid(z);
  }
  throw std::runtime_error("unknown activation " + std::to_string(kind));
}

// Logical NHWC (tfjs's layout) <-> NCHW views: no copies, libtorch's kernels take the strides.
torch::Tensor nchw(const torch::Tensor& t) { return t.permute({0, 3, 1, 2}); }
torch::Tensor nhwc(const torch::Tensor& t) { return t.permute({0, 2, 3, 1}); }

struct Runner {
  const Program& p;
  Buffers& b;
  std::vector<torch::Tensor> w;
  size_t pc = 0;
  int mask = 0;
  int stat = 0;
  int64_t n;

  double next() { return p.code.at(pc++); }
  int nexti() { return static_cast<int>(next()); }

  torch::Tensor dropMask(const torch::Tensor& h, bool spatial) {
    std::vector<int64_t> shape = h.sizes().vec();
    if (spatial) shape = {n, 1, 1, shape.back()};
    return torch::from_blob(b.masks.at(mask++), shape, torch::kFloat32);
  }

  // Batch norm over every axis but the last; hands out the batch mean and biased variance. A momentum of 1
  // makes libtorch's running buffers the batch's own statistics (the variance unbiased: scaled back here).
  torch::Tensor batchNorm(const torch::Tensor& x, int gamma, int beta, double eps) {
    const bool image = x.dim() == 4;
    torch::Tensor in = image ? nchw(x) : x;
    const int64_t c = in.size(1);
    torch::Tensor mean = torch::zeros({c}), var = torch::ones({c});
    torch::Tensor y = torch::batch_norm(in, w.at(gamma), w.at(beta), mean, var, true, 1.0, eps, false);
    const int64_t m = in.numel() / c;
    // Out of place: autograd keeps the running buffers for the backward pass.
    torch::Tensor biased = var * (m > 1 ? static_cast<double>(m - 1) / m : 1.0);
    std::memcpy(b.means.at(stat), mean.data_ptr<float>(), c * sizeof(float));
    std::memcpy(b.variances.at(stat), biased.data_ptr<float>(), c * sizeof(float));
    stat++;
    return image ? nhwc(y) : y;
  }

  torch::Tensor dense(const torch::Tensor& h, int kernel, int bias) {
    return bias < 0 ? torch::mm(h, w.at(kernel)) : torch::addmm(w.at(bias), h, w.at(kernel));
  }

  torch::Tensor forward(torch::Tensor t) {
    while (pc < p.code.size()) {
      switch (nexti()) {
        case CONV: {
          const int kernel = nexti(), bias = nexti();
          const int64_t sh = nexti(), sw = nexti(), top = nexti(), left = nexti(), bottom = nexti(), right = nexti();
          torch::Tensor x = nchw(t);
          std::vector<int64_t> pad = {top, left};
          if (top != bottom || left != right) {  // 'same' with an even kernel or stride: pad unevenly first
            x = torch::constant_pad_nd(x, {left, right, top, bottom});
            pad = {0, 0};
          }
          // tfjs's [kh, kw, Cin, Cout] kernel as libtorch's [Cout, Cin, kh, kw] (a view; autograd transposes back)
          torch::Tensor k = w.at(kernel).permute({3, 2, 0, 1});
          t = nhwc(torch::conv2d(x, k, bias < 0 ? torch::Tensor() : w.at(bias), {sh, sw}, pad));
          break;
        }
        case MAXPOOL: {
          const int64_t kh = nexti(), kw = nexti(), sh = nexti(), sw = nexti(), pt = nexti(), pl = nexti();
          t = nhwc(torch::max_pool2d(nchw(t), {kh, kw}, {sh, sw}, {pt, pl}));
          break;
        }
        case BATCHNORM: {
          const int gamma = nexti(), beta = nexti();
          t = batchNorm(t, gamma, beta, next());
          break;
        }
        case ACT: t = activate(t, nexti()); break;
        case DROPOUT: t = t * dropMask(t, nexti() == 1); break;
        case FLATTEN: t = t.reshape({n, -1}); break;
        case PERMUTE: {
          const int rank = nexti();
          std::vector<int64_t> dims(rank);
          for (auto& d : dims) d = nexti();
          t = t.permute(dims);
          break;
        }
        case DENSE: {
          const int kernel = nexti(), bias = nexti();
          t = dense(t, kernel, bias);
          break;
        }
        case SPINAL: t = spinal(t); break;
        default: throw std::runtime_error("bad program at " + std::to_string(pc - 1));
      }
    }
    return t;
  }

  // SpinalLayer: layer i reads slice i % splits of the features and the previous layer's output; every
  // layer's output goes to the next layer of the model.
  torch::Tensor spinal(const torch::Tensor& x) {
    const int splits = nexti(), count = nexti(), withNorm = nexti(), act = nexti(), dropout = nexti();
    const double eps = next();
    const int64_t part = x.size(1) / splits;
    std::vector<torch::Tensor> outputs;
    for (int i = 0; i < count; i++) {
      const int kernel = nexti(), bias = nexti(), gamma = nexti(), beta = nexti();
      torch::Tensor h = x.slice(1, (i % splits) * part, (i % splits + 1) * part);
      if (i > 0) h = torch::cat({h, outputs.back()}, 1);
      if (dropout) h = h * dropMask(h, false);
      torch::Tensor z = dense(h, kernel, bias);
      if (withNorm) z = batchNorm(z, gamma, beta, eps);
      outputs.push_back(activate(z, act));
    }
    return torch::cat(outputs, 1);
  }
};

void runStep(const Program& p, Buffers& b) {
  // Only when it changes: libtorch rebuilds its thread pools on every call.
  if (at::get_num_threads() != p.threads) torch::set_num_threads(p.threads);
  const int64_t n = b.xShape[0];
  std::vector<torch::Tensor> weights;
  for (size_t i = 0; i < p.weightShapes.size(); i++) {
    weights.push_back(torch::from_blob(b.weights.at(i), p.weightShapes[i], torch::kFloat32).requires_grad_(true));
  }
  // The NHWC batch as it is: viewed as NCHW it is libtorch's channels-last layout, which its oneDNN convolutions
  // keep through the network: faster than a copy to contiguous NCHW first (as PyTorch's models take it)
  // on one thread and on two (docs/performance.md#the-libtorch-step).
  torch::Tensor x = torch::from_blob(b.x, b.xShape, torch::kFloat32);
  Runner r{p, b, weights, 0, 0, 0, n};
  torch::Tensor logits = r.forward(x);
  torch::Tensor labels = torch::from_blob(b.labels, {n}, torch::kInt32).to(torch::kLong);
  torch::Tensor sw = torch::from_blob(b.sampleWeights, {n}, torch::kFloat32);
  // Weighted softmax cross-entropy, normalised by the batch's weight sum (trainModel's weightedLoss).
  torch::Tensor perSample = -torch::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  torch::Tensor loss = (perSample * sw).sum() / sw.sum();
  std::vector<torch::Tensor> grads = torch::autograd::grad({loss}, weights);
  for (size_t i = 0; i < grads.size(); i++) {
    torch::Tensor g = grads[i].contiguous();
    std::memcpy(b.grads.at(i), g.data_ptr<float>(), g.numel() * sizeof(float));
  }
  torch::Tensor l = logits.detach().contiguous();
  std::memcpy(b.logits, l.data_ptr<float>(), l.numel() * sizeof(float));
  *b.loss = loss.item<float>();
}

// ---- Node-API glue ----

#define NAPI_CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, nullptr, "libtorch step: " #call); return nullptr; } } while (0)

float* floats(napi_env env, napi_value v) {
  napi_typedarray_type type; size_t len; void* data; napi_value ab; size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &offset) != napi_ok) return nullptr;
  if (type != napi_float32_array && type != napi_int32_array) return nullptr;
  return static_cast<float*>(data);
}

std::vector<napi_value> elements(napi_env env, napi_value array) {
  uint32_t len = 0;
  napi_get_array_length(env, array, &len);
  std::vector<napi_value> out(len);
  for (uint32_t i = 0; i < len; i++) napi_get_element(env, array, i, &out[i]);
  return out;
}

void finalizeProgram(napi_env, void* data, void*) { delete static_cast<Program*>(data); }

// create(code: Float64Array, weightShapes: number[][], threads: number) -> external
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  auto p = std::make_unique<Program>();
  napi_typedarray_type type; size_t len; void* data; napi_value ab; size_t offset;
  NAPI_CHECK(napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &offset));
  p->code.assign(static_cast<double*>(data), static_cast<double*>(data) + len);
  for (napi_value shape : elements(env, argv[1])) {
    std::vector<int64_t> dims;
    for (napi_value d : elements(env, shape)) { int64_t v; napi_get_value_int64(env, d, &v); dims.push_back(v); }
    p->weightShapes.push_back(dims);
  }
  int32_t threads;
  NAPI_CHECK(napi_get_value_int32(env, argv[2], &threads));
  p->threads = threads;
  napi_value out;
  NAPI_CHECK(napi_create_external(env, p.release(), finalizeProgram, nullptr, &out));
  return out;
}

struct Work {
  napi_deferred deferred;
  napi_threadsafe_function done;
  Program* program;
  Buffers buffers;
  std::vector<napi_ref> refs;
  std::string error;
};

// Every step runs on this one thread: OpenMP keeps one team of threads per calling thread, and libtorch's
// thread settings are per thread, so steps handed to libuv's pool (four threads) oversubscribed the cores
// and ran far slower than libtorch's own modules in a bare loop (docs/performance.md#the-libtorch-step).
class StepThread;
StepThread& stepThread();

class StepThread {
 public:
  void push(Work* w) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!started_) {
        std::thread([this] { loop(); }).detach();
        started_ = true;
      }
      queue_.push_back(w);
    }
    ready_.notify_one();
  }

  // At exit (process.exit() while a step runs, e.g. a second Ctrl-C), from process's 'exit' event: lets the
  // running step finish and starts no other, so that exit() does not destroy oneDNN's static objects under it
  // (that ended in a segmentation fault; an atexit handler runs too late, after those made during the first step).
  void drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_ = true;
    idle_.wait_for(lock, std::chrono::seconds(30), [this] { return !busy_; });
  }

 private:
  void loop() {
    for (;;) {
      Work* w;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty() && !stopping_; });
        w = queue_.front();
        queue_.pop_front();
        busy_ = true;
      }
      try {
        runStep(*w->program, w->buffers);
      } catch (const c10::Error& e) {
        w->error = e.what_without_backtrace();
      } catch (const std::exception& e) {
        w->error = e.what();
      }
      // finish() deletes w on the JavaScript thread, maybe before the call below returns.
      napi_threadsafe_function done = w->done;
      napi_call_threadsafe_function(done, w, napi_tsfn_blocking);
      napi_release_threadsafe_function(done, napi_tsfn_release);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        busy_ = false;
      }
      idle_.notify_all();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<Work*> queue_;
  bool started_ = false;
  bool busy_ = false;
  bool stopping_ = false;
};

// Never destroyed: at exit, destroying the condition variable its thread waits on would block the process.
StepThread& stepThread() {
  static StepThread* thread = new StepThread();
  return *thread;
}

// On the JavaScript thread: lets go of the step's buffers and settles its promise.
void finish(napi_env env, napi_value, void*, void* data) {
  auto* w = static_cast<Work*>(data);
  if (env != nullptr) {
    for (napi_ref r : w->refs) napi_delete_reference(env, r);
    if (w->error.empty()) {
      napi_value undefined;
      napi_get_undefined(env, &undefined);
      napi_resolve_deferred(env, w->deferred, undefined);
    } else {
      napi_value msg, err;
      napi_create_string_utf8(env, w->error.c_str(), NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, nullptr, msg, &err);
      napi_reject_deferred(env, w->deferred, err);
    }
  }
  delete w;
}

// step(program, x: Float32Array, xShape: number[4], labels: Int32Array, sampleWeights, masks[], weights[],
//      grads[], means[], variances[], logits, loss: Float32Array(1)) -> Promise<void>
napi_value Step(napi_env env, napi_callback_info info) {
  size_t argc = 12; napi_value argv[12];
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 12) { napi_throw_error(env, nullptr, "libtorch step: 12 arguments expected"); return nullptr; }
  auto w = std::make_unique<Work>();
  NAPI_CHECK(napi_get_value_external(env, argv[0], reinterpret_cast<void**>(&w->program)));
  auto hold = [&](napi_value v) -> float* {
    float* f = floats(env, v);
    if (f == nullptr) return nullptr;
    napi_ref ref;
    napi_create_reference(env, v, 1, &ref);
    w->refs.push_back(ref);
    return f;
  };
  Buffers& b = w->buffers;
  b.x = hold(argv[1]);
  for (napi_value d : elements(env, argv[2])) { int64_t v; napi_get_value_int64(env, d, &v); b.xShape.push_back(v); }
  b.labels = reinterpret_cast<int32_t*>(hold(argv[3]));
  b.sampleWeights = hold(argv[4]);
  for (napi_value m : elements(env, argv[5])) b.masks.push_back(hold(m));
  for (napi_value m : elements(env, argv[6])) b.weights.push_back(hold(m));
  for (napi_value m : elements(env, argv[7])) b.grads.push_back(hold(m));
  for (napi_value m : elements(env, argv[8])) b.means.push_back(hold(m));
  for (napi_value m : elements(env, argv[9])) b.variances.push_back(hold(m));
  b.logits = hold(argv[10]);
  b.loss = hold(argv[11]);
  if (b.x == nullptr || b.labels == nullptr || b.sampleWeights == nullptr || b.logits == nullptr || b.loss == nullptr || b.xShape.size() != 4) {
    for (napi_ref r : w->refs) napi_delete_reference(env, r);
    napi_throw_type_error(env, nullptr, "libtorch step: typed arrays expected");
    return nullptr;
  }
  napi_value promise, name;
  NAPI_CHECK(napi_create_promise(env, &w->deferred, &promise));
  NAPI_CHECK(napi_create_string_utf8(env, "spinalnet.libtorchStep", NAPI_AUTO_LENGTH, &name));
  NAPI_CHECK(napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, finish, &w->done));
  stepThread().push(w.release());
  return promise;
}

napi_value Drain(napi_env env, napi_callback_info) {
  stepThread().drain();
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value out;
  std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
  napi_create_string_utf8(env, v.c_str(), NAPI_AUTO_LENGTH, &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"step", nullptr, Step, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"drain", nullptr, Drain, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 4, props);
  return exports;
}
