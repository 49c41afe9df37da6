// The computation of each NIR node inside nir::Model (private to src/io).
#pragma once
#include <memory>
#include <string>

#include "hnn/io/nir_model.h"

namespace hnn::io::nir {

// One node: seq() over a whole sequence [T, B, ...], step() over one step [B, ...] (keeping state).
struct ModelImpl::Op {
  virtual ~Op() = default;
  virtual at::Tensor seq(const at::Tensor& x, Trace* trace) = 0;
  virtual at::Tensor step(const at::Tensor& x, Trace* trace) = 0;
  virtual void reset() {}
  // The node with the current parameters.
  virtual Node node() const = 0;
};

// Builds a node's computation; its modules and buffers are registered on `model` under `mname`.
std::shared_ptr<ModelImpl::Op> make_op(ModelImpl& model, const Node& n, const std::string& mname);

}  // namespace hnn::io::nir
