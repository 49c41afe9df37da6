#include "hnn/hu/template_match.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::hu {
namespace {

// The k sample offsets in grid_sample coordinates along an axis of `cells` cells.
at::Tensor offsets(int64_t k, double spacing, int64_t cells, const at::TensorOptions& opts) {
  if (k == 1) return torch::zeros({1}, opts);
  if (spacing > 0) {
    double half = (k - 1) / 2.0;
    return torch::linspace(-half, half, k, opts) * (spacing * 2.0 / std::max<int64_t>(cells - 1, 1));
  }
  return torch::linspace(-1, 1, k, opts) * (static_cast<double>(k) / cells);
}

}  // namespace

at::Tensor extract_templates(const at::Tensor& map, const at::Tensor& loc, const TemplateMatchOptions& o) {
  HNN_CHECK(map.dim() == 4 && loc.dim() == 3 && loc.size(2) == 2 && loc.size(0) == map.size(0),
            "extract_templates: expected a map [B, C, H, W] and locations [B, O, 2], got {} and {}",
            shape_str(map.sizes()), shape_str(loc.sizes()));
  HNN_CHECK(o.size() >= 1 && o.spacing() >= 0,
            "extract_templates: template size must be >= 1 and spacing >= 0, got size {} and spacing {}", o.size(),
            o.spacing());
  const int64_t B = map.size(0), C = map.size(1), H = map.size(2), W = map.size(3), O = loc.size(1), k = o.size();
  auto l = loc.to(map.scalar_type());
  // The reference: u = offset + x / (W / 2), v = offset + y / (H / 2) (its maps are square).
  auto u =
      offsets(k, o.spacing(), W, map.options()).view({1, 1, 1, k}) + (l.select(2, 0) / (W / 2.0)).view({B, O, 1, 1});
  auto v =
      offsets(k, o.spacing(), H, map.options()).view({1, 1, k, 1}) + (l.select(2, 1) / (H / 2.0)).view({B, O, 1, 1});
  auto grid = torch::stack({u.expand({B, O, k, k}), v.expand({B, O, k, k})}, -1).reshape({B * O, k, k, 2});
  auto input = map.unsqueeze(1).expand({B, O, C, H, W}).reshape({B * O, C, H, W});
  namespace F = torch::nn::functional;
  auto t = F::grid_sample(
      input, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(true));
  return t.view({B, O, C, k, k});
}

at::Tensor correlate(const at::Tensor& maps, const at::Tensor& templates) {
  HNN_CHECK(
      maps.dim() == 5 && templates.dim() == 5 && maps.size(1) == templates.size(0) && maps.size(2) == templates.size(2),
      "correlate: expected maps [T, B, C, H, W] and templates [B, O, C, k, k], got {} and {}", shape_str(maps.sizes()),
      shape_str(templates.sizes()));
  HNN_CHECK(templates.size(3) <= maps.size(3) && templates.size(4) <= maps.size(4),
            "correlate: templates {} are larger than the maps {}", shape_str(templates.sizes()),
            shape_str(maps.sizes()));
  const int64_t T = maps.size(0), B = maps.size(1), C = maps.size(2), O = templates.size(1);
  auto input = maps.reshape({T, B * C, maps.size(3), maps.size(4)});
  auto weight = templates.reshape({B * O, C, templates.size(3), templates.size(4)});
  auto out = torch::conv2d(input, weight, at::Tensor(), at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, B);
  return out.view({T, B, O, out.size(2), out.size(3)});
}

TemplateMatchImpl::TemplateMatchImpl(TemplateMatchOptions o) : options(o) {
  HNN_CHECK(options.size() >= 1 && options.spacing() >= 0,
            "TemplateMatch: template size must be >= 1 and spacing >= 0, got size {} and spacing {}", options.size(),
            options.spacing());
}

at::Tensor TemplateMatchImpl::templates(const at::Tensor& map, const at::Tensor& loc) const {
  return extract_templates(map, loc, options);
}

at::Tensor TemplateMatchImpl::respond(const at::Tensor& maps, const at::Tensor& templates) const {
  return correlate(maps, templates);
}

at::Tensor TemplateMatchImpl::forward(const at::Tensor& ann_map, const at::Tensor& loc, const at::Tensor& snn_maps) {
  return correlate(snn_maps, extract_templates(ann_map, loc, options));
}

void TemplateMatchImpl::pretty_print(std::ostream& os) const {
  os << "hnn::hu::TemplateMatch(size=" << options.size() << ", spacing=";
  if (options.spacing() > 0) {
    os << options.spacing();
  } else {
    os << "reference";
  }
  os << ")";
}

}  // namespace hnn::hu
