// A training step of a spinalnet model on libtorch's CPU kernels (oneDNN convolutions, OpenMP threads): the
// forward pass of a small layer program (written by src/training/engines/libtorch/torchProgram.ts from the tfjs
// model), the weighted softmax cross-entropy, and autograd's backward to every weight. Two ways to use it:
//  - step(): weights, dropout masks and the batch come from JavaScript each step (tfjs keeps the weights and
//    runs the optimizer, as with onnxruntime), gradients go back into buffers JavaScript allocated;
//  - trainer() + trainStep(): the training state (weights, Adam's moments and powers, the batch norms' moving
//    averages) stays here for an epoch; each step draws its dropout masks from seeds JavaScript hands in,
//    applies tfjs's Adam update and moves the averages as tfjs does, to the float32 bit; load() and store()
//    move the state between here and the tfjs model (src/training/engines/libtorch/residentStep.ts).
// Why libtorch: its batch-64 step is what PyTorch runs, and onnxruntime's could not be brought to it
// (docs/performance.md#what-was-tried-and-what-holds).
#include <node_api.h>
// The parts of libtorch this file uses, not <torch/torch.h> (nn, optim, data, serialize): half the compile
// time of `npm ci`, which builds this file.
#include <torch/csrc/autograd/autograd.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/version.h>
#include <atomic>
#include <cmath>
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
  const double* maskSeeds = nullptr;  // trainStep: Alea's state (s0, s1, s2, c) for each mask, in forward order
};

// seedrandom's Alea (what tfjs's dropout draws from), in the same double arithmetic as its JavaScript: the
// state comes from JavaScript (seedrandom.alea(seed, {state: true}).state()), the numbers are its numbers.
struct Alea {
  double s0, s1, s2, c;
  double next() {
    const double t = 2091639.0 * s0 + c * 2.3283064365386963e-10;  // 2^-32
    s0 = s1;
    s1 = s2;
    c = static_cast<double>(static_cast<int32_t>(t));  // t | 0, t in [0, 2^31)
    s2 = t - c;
    return s2;
  }
};

// The training state trainStep() keeps between steps: what tfjs's model and Adam optimizer hold.
struct Trainer {
  std::vector<torch::Tensor> weights, m, v;  // leaves that require gradients; Adam's first and second moments
  float accBeta1 = 0, accBeta2 = 0;          // Adam's running powers beta^t, float32 as tfjs keeps them
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  std::vector<double> maskRates;             // each dropout mask's rate, in forward order
  struct Norm {
    bool spinal;      // a spinal layer's (unbiased variance, PyTorch's update) or a BatchNormalization's (tfjs-layers')
    double momentum;  // tfjs's: the share the old average keeps
    std::vector<float> mean, variance, batchMean, batchVariance;
  };
  std::vector<Norm> norms;
  std::atomic<bool> busy{false};  // a step in flight: load() and store() refuse
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

  Trainer* trainer = nullptr;

  torch::Tensor dropMask(const torch::Tensor& h, bool spatial) {
    std::vector<int64_t> shape = h.sizes().vec();
    if (spatial) shape = {n, 1, 1, shape.back()};
    if (trainer == nullptr) return torch::from_blob(b.masks.at(mask++), shape, torch::kFloat32);
    // src/training/engines/dropoutMask.ts's dropoutMultiplier: floor(fround(u) + keep) / keep, in float32.
    const double* seed = b.maskSeeds + 4 * mask;
    Alea random{seed[0], seed[1], seed[2], seed[3]};
    const float keep = static_cast<float>(1.0 - trainer->maskRates.at(mask));
    const float scale = static_cast<float>(1.0 / static_cast<double>(keep));
    mask++;
    torch::Tensor out = torch::empty(shape, torch::kFloat32);
    float* o = out.data_ptr<float>();
    for (int64_t i = 0, size = out.numel(); i < size; i++) {
      const float sum = static_cast<float>(random.next()) + keep;
      o[i] = std::floor(sum) == 0.0f ? 0.0f : scale;
    }
    return out;
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

// tfjs's Adam (tfjs-core's AdamOptimizer, as src/backend/fusedAdam.ts's adamUpdate writes it), every operation
// rounded to float32 where tfjs's ops round: the same bits as the step that hands its gradients to tfjs.
// Built with -ffp-contract=off, so that no multiply and add fuse; -O3 -fno-math-errno let the compiler vectorise
// the loop (IEEE division and square root in SIMD, the same bits), which halved its time.
void adamStep(Trainer& t, const std::vector<torch::Tensor>& grads, double learningRate) {
  const float b1 = static_cast<float>(t.beta1), c1 = static_cast<float>(1.0 - t.beta1);
  const float b2 = static_cast<float>(t.beta2), c2 = static_cast<float>(1.0 - t.beta2);
  const float eps = static_cast<float>(t.epsilon), negLr = static_cast<float>(-learningRate);
  const float d1 = static_cast<float>(1.0 - static_cast<double>(t.accBeta1));
  const float d2 = static_cast<float>(1.0 - static_cast<double>(t.accBeta2));
  for (size_t i = 0; i < grads.size(); i++) {
    torch::Tensor g = grads[i].contiguous();
    const float* gi = g.data_ptr<float>();
    float* x = t.weights[i].data_ptr<float>();
    float* m = t.m[i].data_ptr<float>();
    float* v = t.v[i].data_ptr<float>();
    // On libtorch's threads, as its kernels run: element by element, so the split changes no bit.
    at::parallel_for(0, g.numel(), 16384, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; j++) {
        const float gj = gi[j];
        const float mj = m[j] * b1 + gj * c1;
        const float vj = v[j] * b2 + (gj * gj) * c2;
        m[j] = mj;
        v[j] = vj;
        const float mHat = mj / d1, vHat = vj / d2;
        x[j] = (mHat / (std::sqrt(vHat) + eps)) * negLr + x[j];
      }
    });
  }
  t.accBeta1 = t.accBeta1 * b1;
  t.accBeta2 = t.accBeta2 * b2;
}

// The batch norms' moving averages after a batch of n, as the tfjs layers move them (models/batchNorm.ts,
// models/spinalLayer.ts, in float32), from the step's batch mean and biased variance.
void moveAverages(Trainer& t, int64_t n) {
  for (auto& norm : t.norms) {
    const size_t c = norm.mean.size();
    if (norm.spinal) {
      const float keep = static_cast<float>(norm.momentum), rate = static_cast<float>(1.0 - norm.momentum);
      const float unbias = static_cast<float>(static_cast<double>(n) / static_cast<double>(n - 1));
      for (size_t j = 0; j < c; j++) {
        const float variance = n > 1 ? norm.batchVariance[j] * unbias : norm.batchVariance[j];
        norm.mean[j] = norm.mean[j] * keep + norm.batchMean[j] * rate;
        norm.variance[j] = norm.variance[j] * keep + variance * rate;
      }
    } else {
      const float rate = static_cast<float>(1.0 - norm.momentum);
      for (size_t j = 0; j < c; j++) {
        norm.mean[j] = norm.mean[j] - (norm.mean[j] - norm.batchMean[j]) * rate;
        norm.variance[j] = norm.variance[j] - (norm.variance[j] - norm.batchVariance[j]) * rate;
      }
    }
  }
}

// trainer == nullptr: step() (weights from JavaScript, gradients back to it); else trainStep() at this learning rate.
void runStep(const Program& p, Buffers& b, Trainer* trainer = nullptr, double learningRate = 0) {
  // Only when it changes: libtorch rebuilds its thread pools on every call.
  if (at::get_num_threads() != p.threads) torch::set_num_threads(p.threads);
  const int64_t n = b.xShape[0];
  std::vector<torch::Tensor> weights;
  if (trainer != nullptr) {
    weights = trainer->weights;
  } else {
    for (size_t i = 0; i < p.weightShapes.size(); i++) {
      weights.push_back(torch::from_blob(b.weights.at(i), p.weightShapes[i], torch::kFloat32).requires_grad_(true));
    }
  }
  // The NHWC batch as it is: viewed as NCHW it is libtorch's channels-last layout, which its oneDNN convolutions
  // keep through the network: faster than a copy to contiguous NCHW first (as PyTorch's models take it)
  // on one thread and on two (docs/performance.md#the-libtorch-step).
  torch::Tensor x = torch::from_blob(b.x, b.xShape, torch::kFloat32);
  Runner r{p, b, weights, 0, 0, 0, n, trainer};
  torch::Tensor logits = r.forward(x);
  torch::Tensor labels = torch::from_blob(b.labels, {n}, torch::kInt32).to(torch::kLong);
  torch::Tensor sw = torch::from_blob(b.sampleWeights, {n}, torch::kFloat32);
  // Weighted softmax cross-entropy, normalised by the batch's weight sum (trainModel's weightedLoss).
  torch::Tensor perSample = -torch::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  torch::Tensor loss = (perSample * sw).sum() / sw.sum();
  std::vector<torch::Tensor> grads = torch::autograd::grad({loss}, weights);
  if (trainer != nullptr) {
    // The graph is gone (no retain_graph): the weights can change in place.
    adamStep(*trainer, grads, learningRate);
    moveAverages(*trainer, n);
  } else {
    for (size_t i = 0; i < grads.size(); i++) {
      torch::Tensor g = grads[i].contiguous();
      std::memcpy(b.grads.at(i), g.data_ptr<float>(), g.numel() * sizeof(float));
    }
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
  Trainer* trainer = nullptr;  // trainStep()
  double learningRate = 0;
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
        runStep(*w->program, w->buffers, w->trainer, w->learningRate);
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
  if (w->trainer != nullptr) w->trainer->busy = false;
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

// Puts a step on the step thread and returns the promise finish() settles (a trainer's step marks it busy
// until then); `name` labels its callback for diagnostics.
napi_value queueStep(napi_env env, std::unique_ptr<Work> w, const char* name) {
  napi_value promise, label;
  NAPI_CHECK(napi_create_promise(env, &w->deferred, &promise));
  NAPI_CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &label));
  NAPI_CHECK(napi_create_threadsafe_function(env, nullptr, nullptr, label, 0, 1, nullptr, nullptr, nullptr, finish, &w->done));
  if (w->trainer != nullptr) w->trainer->busy = true;
  stepThread().push(w.release());
  return promise;
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
  return queueStep(env, std::move(w), "spinalnet.libtorchStep");
}

void finalizeTrainer(napi_env, void* data, void*) { delete static_cast<Trainer*>(data); }

std::vector<double> doubles(napi_env env, napi_value v) {
  napi_typedarray_type type; size_t len; void* data; napi_value ab; size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &offset) != napi_ok || type != napi_float64_array) {
    throw std::invalid_argument("Float64Array expected");
  }
  return std::vector<double>(static_cast<double*>(data), static_cast<double*>(data) + len);
}

// A Float32Array of exactly `size` values, or null (allowed where `orNull`).
float* sized(napi_env env, napi_value v, int64_t size, bool orNull = false) {
  napi_valuetype kind;
  napi_typeof(env, v, &kind);
  if (orNull && kind == napi_null) return nullptr;
  napi_typedarray_type type; size_t len; void* data; napi_value ab; size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &offset) != napi_ok || type != napi_float32_array || static_cast<int64_t>(len) != size) {
    throw std::invalid_argument("Float32Array of " + std::to_string(size) + " values expected");
  }
  return static_cast<float*>(data);
}

// trainer(program, maskRates: Float64Array, norms: Float64Array [spinal, momentum, channels]*, adam: Float64Array
//         [beta1, beta2, epsilon]) -> external; its state is zero until load().
napi_value CreateTrainer(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Program* p;
  NAPI_CHECK(napi_get_value_external(env, argv[0], reinterpret_cast<void**>(&p)));
  auto t = std::make_unique<Trainer>();
  try {
    for (const auto& shape : p->weightShapes) {
      t->weights.push_back(torch::zeros(shape).requires_grad_(true));
      t->m.push_back(torch::zeros(shape));
      t->v.push_back(torch::zeros(shape));
    }
    t->maskRates = doubles(env, argv[1]);
    const std::vector<double> norms = doubles(env, argv[2]);
    for (size_t i = 0; i + 2 < norms.size(); i += 3) {
      const size_t c = static_cast<size_t>(norms[i + 2]);
      t->norms.push_back({norms[i] != 0, norms[i + 1], std::vector<float>(c), std::vector<float>(c), std::vector<float>(c), std::vector<float>(c)});
    }
    const std::vector<double> adam = doubles(env, argv[3]);
    if (adam.size() != 3) throw std::invalid_argument("adam: [beta1, beta2, epsilon] expected");
    t->beta1 = adam[0]; t->beta2 = adam[1]; t->epsilon = adam[2];
  } catch (const std::exception& e) {
    napi_throw_type_error(env, nullptr, (std::string("libtorch trainer: ") + e.what()).c_str());
    return nullptr;
  }
  napi_value out;
  NAPI_CHECK(napi_create_external(env, t.release(), finalizeTrainer, nullptr, &out));
  return out;
}

// load(trainer, weights[], m[], v[], powers: Float32Array(2), means[], variances[]) or store(…) with the same
// arguments: copies the training state from those arrays (a null moment: zeros, before Adam's first step) or into them.
napi_value Transfer(napi_env env, napi_callback_info info, bool in) {
  size_t argc = 7; napi_value argv[7];
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Trainer* t;
  NAPI_CHECK(napi_get_value_external(env, argv[0], reinterpret_cast<void**>(&t)));
  const char* name = in ? "libtorch load: " : "libtorch store: ";
  if (t->busy) {
    napi_throw_error(env, nullptr, (std::string(name) + "a step is running").c_str());
    return nullptr;
  }
  try {
    torch::NoGradGuard noGrad;
    const std::vector<napi_value> w = elements(env, argv[1]), m = elements(env, argv[2]), v = elements(env, argv[3]);
    const std::vector<napi_value> means = elements(env, argv[5]), variances = elements(env, argv[6]);
    if (w.size() != t->weights.size() || m.size() != w.size() || v.size() != w.size() || means.size() != t->norms.size() || variances.size() != t->norms.size()) {
      throw std::invalid_argument("one array per weight and per batch norm expected");
    }
    auto move = [&](torch::Tensor& tensor, napi_value js, bool orNull) {
      float* f = sized(env, js, tensor.numel(), in && orNull);
      if (f == nullptr) tensor.zero_();
      else if (in) std::memcpy(tensor.data_ptr<float>(), f, tensor.numel() * sizeof(float));
      else std::memcpy(f, tensor.data_ptr<float>(), tensor.numel() * sizeof(float));
    };
    for (size_t i = 0; i < w.size(); i++) {
      move(t->weights[i], w[i], false);
      move(t->m[i], m[i], true);
      move(t->v[i], v[i], true);
    }
    float* powers = sized(env, argv[4], 2);
    if (in) { t->accBeta1 = powers[0]; t->accBeta2 = powers[1]; }
    else { powers[0] = t->accBeta1; powers[1] = t->accBeta2; }
    for (size_t i = 0; i < t->norms.size(); i++) {
      auto& norm = t->norms[i];
      const int64_t c = static_cast<int64_t>(norm.mean.size());
      float* mean = sized(env, means[i], c);
      float* variance = sized(env, variances[i], c);
      if (in) { std::memcpy(norm.mean.data(), mean, c * sizeof(float)); std::memcpy(norm.variance.data(), variance, c * sizeof(float)); }
      else { std::memcpy(mean, norm.mean.data(), c * sizeof(float)); std::memcpy(variance, norm.variance.data(), c * sizeof(float)); }
    }
  } catch (const std::exception& e) {
    napi_throw_type_error(env, nullptr, (std::string(name) + e.what()).c_str());
    return nullptr;
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

napi_value Load(napi_env env, napi_callback_info info) { return Transfer(env, info, true); }
napi_value Store(napi_env env, napi_callback_info info) { return Transfer(env, info, false); }

// trainStep(program, trainer, x: Float32Array, xShape: number[4], labels: Int32Array, sampleWeights,
//           maskSeeds: Float64Array (4 per mask), learningRate: number, logits, loss: Float32Array(1)) -> Promise<void>
napi_value TrainStep(napi_env env, napi_callback_info info) {
  size_t argc = 10; napi_value argv[10];
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 10) { napi_throw_error(env, nullptr, "libtorch trainStep: 10 arguments expected"); return nullptr; }
  auto w = std::make_unique<Work>();
  NAPI_CHECK(napi_get_value_external(env, argv[0], reinterpret_cast<void**>(&w->program)));
  NAPI_CHECK(napi_get_value_external(env, argv[1], reinterpret_cast<void**>(&w->trainer)));
  NAPI_CHECK(napi_get_value_double(env, argv[7], &w->learningRate));
  Trainer& t = *w->trainer;
  if (t.busy) { napi_throw_error(env, nullptr, "libtorch trainStep: a step is running"); return nullptr; }
  auto hold = [&](napi_value v) -> void* {
    napi_typedarray_type type; size_t len; void* data; napi_value ab; size_t offset;
    if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &offset) != napi_ok) return nullptr;
    napi_ref ref;
    napi_create_reference(env, v, 1, &ref);
    w->refs.push_back(ref);
    return data;
  };
  for (int i : {0, 1}) { napi_ref ref; napi_create_reference(env, argv[i], 1, &ref); w->refs.push_back(ref); }
  Buffers& b = w->buffers;
  b.x = static_cast<float*>(hold(argv[2]));
  for (napi_value d : elements(env, argv[3])) { int64_t v; napi_get_value_int64(env, d, &v); b.xShape.push_back(v); }
  b.labels = static_cast<int32_t*>(hold(argv[4]));
  b.sampleWeights = static_cast<float*>(hold(argv[5]));
  b.maskSeeds = static_cast<const double*>(hold(argv[6]));
  b.logits = static_cast<float*>(hold(argv[8]));
  b.loss = static_cast<float*>(hold(argv[9]));
  for (auto& norm : t.norms) { b.means.push_back(norm.batchMean.data()); b.variances.push_back(norm.batchVariance.data()); }
  if (b.x == nullptr || b.labels == nullptr || b.sampleWeights == nullptr || b.maskSeeds == nullptr || b.logits == nullptr || b.loss == nullptr || b.xShape.size() != 4) {
    for (napi_ref r : w->refs) napi_delete_reference(env, r);
    napi_throw_type_error(env, nullptr, "libtorch trainStep: typed arrays expected");
    return nullptr;
  }
  return queueStep(env, std::move(w), "spinalnet.libtorchTrainStep");
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
    {"trainer", nullptr, CreateTrainer, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"load", nullptr, Load, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"store", nullptr, Store, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"trainStep", nullptr, TrainStep, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
