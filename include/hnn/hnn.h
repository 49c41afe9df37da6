// hnn: everything the library offers, in one include (the systems under hnn/models/ excepted).
// Including only the headers you use builds faster; link hnn::hnn, or the narrowest hnn::<layer>.
// Which optional components this installation has: hnn/config.h (HNN_HAVE_AEDAT4, ...).
#pragma once

#include "hnn/config.h"

#include "hnn/core/allocator.h"
#include "hnn/core/anomaly.h"
#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/log.h"
#include "hnn/core/profiler.h"
#include "hnn/core/progress.h"
#include "hnn/core/random.h"
#include "hnn/core/seed.h"
#include "hnn/core/shape.h"
#include "hnn/core/timer.h"
#include "hnn/core/zip.h"

#include "hnn/spike/neuron.h"
#include "hnn/spike/neuron_module.h"
#include "hnn/spike/neurons.h"
#include "hnn/spike/stateful.h"
#include "hnn/spike/surrogate.h"
#include "hnn/spike/surrogate_math.h"

#include "hnn/hu/hybrid_unit.h"
#include "hnn/hu/kernel.h"
#include "hnn/hu/nonlinearity.h"
#include "hnn/hu/presets.h"
#include "hnn/hu/quantizer.h"
#include "hnn/hu/window.h"

#include "hnn/nn/batch_norm.h"
#include "hnn/nn/spiking_layers.h"
#include "hnn/nn/time_fold.h"

#include "hnn/plasticity/hebbian.h"
#include "hnn/plasticity/meta.h"
#include "hnn/plasticity/plastic_linear.h"
#include "hnn/plasticity/stdp.h"

#include "hnn/train/classify.h"
#include "hnn/train/ewc.h"

#include "hnn/events/aedat2.h"
#include "hnn/events/aedat4.h"
#include "hnn/events/event_stream.h"
#include "hnn/events/formats.h"
#include "hnn/events/nmnist.h"
#include "hnn/events/representation.h"
#include "hnn/events/saccades.h"
#include "hnn/events/simulate_tensor.h"
#include "hnn/events/simulator.h"

#include "hnn/data/clevrer.h"
#include "hnn/data/clevrer_questions.h"
#include "hnn/data/idx.h"

#include "hnn/viz/plot.h"
#if HNN_HAVE_VIDEO
#include "hnn/viz/render.h"
#include "hnn/viz/video.h"
#endif
