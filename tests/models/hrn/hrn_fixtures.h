// A hand-made CLEVRER scene with known answers, shared by the HRN tests.
//   objects: 0 red rubber cube, 1 blue metal sphere, 2 green rubber cylinder
//   0: visible all along, moves +5 px per step until frame 60, then rests
//   1: enters at frame 20, moves +3 px per step in y, exits at frame 100
//   2: visible all along, never moves
//   collisions: (0,1) at 40, (1,2) at 80, (0,2) at 150 (unseen)
//   counterfactual: without 0: (1,2) at 90; without 1: (0,2) at 70 and 160; without 2: (0,1) at 40
// Sorted events: start 0, in(1) 20, col(0,1) 40, col(1,2) 80, out(1) 100, end 125.
#pragma once
#include "hnn/data/clevrer.h"

namespace hnn_test {

inline hnn::data::ClevrerScene toy_scene() {
  using namespace hnn::data;
  ClevrerScene s;
  s.video = 99;
  s.objects = {{0, "red", "rubber", "cube"}, {1, "blue", "metal", "sphere"}, {2, "green", "rubber", "cylinder"}};
  for (int step = 0; step < 38; ++step) {
    ClevrerStep st;
    st.frame = 5 * step;
    double x0 = 100 + 5 * std::min(step, 12);
    st.objects.push_back({0, x0, 100});
    if (st.frame >= 20 && st.frame <= 95) st.objects.push_back({1, 300, 50 + 3.0 * step});
    st.objects.push_back({2, 200, 250});
    s.trajectory.push_back(st);
  }
  s.collisions = {{40, 0, 1}, {80, 1, 2}, {150, 0, 2}};
  s.counterfactual[0] = {{90, 1, 2}};
  s.counterfactual[1] = {{70, 0, 2}, {160, 2, 0}};
  s.counterfactual[2] = {{40, 0, 1}};
  return s;
}

}  // namespace hnn_test
