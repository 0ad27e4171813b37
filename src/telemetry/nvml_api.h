// The slice of NVIDIA's NVML C API that telemetry calls, declared here from
// the public API reference (types, constants and signatures) so the build
// needs neither the CUDA toolkit nor the driver: libnvidia-ml.so.1 is opened
// at run time (see nvml.h). Only nvml.cc includes this file.
#pragma once

#include <cstdint>

namespace impetus::telemetry::nvml_api {

using Return = int;  // nvmlReturn_t
constexpr Return kSuccess = 0;
constexpr Return kErrorNotSupported = 3;
constexpr Return kErrorInsufficientSize = 7;

struct DeviceSt;
using Device = DeviceSt*;  // nvmlDevice_t

struct Memory {  // nvmlMemory_t (bytes)
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct MemoryV2 {  // nvmlMemory_v2_t (bytes): `used` leaves out the driver's reserved memory, as nvidia-smi does
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
// nvmlMemory_v2: NVML_STRUCT_VERSION(Memory, 2) = sizeof(nvmlMemory_v2_t) | (2 << 24).
inline constexpr unsigned int kMemoryV2Version = static_cast<unsigned int>(sizeof(MemoryV2)) | (2u << 24);

struct Utilization {  // nvmlUtilization_t (percent over the last sample period)
  unsigned int gpu;
  unsigned int memory;
};

struct DeviceAttributes {  // nvmlDeviceAttributes_t
  unsigned int multiprocessor_count;
  unsigned int shared_copy_engine_count;
  unsigned int shared_decoder_count;
  unsigned int shared_encoder_count;
  unsigned int shared_jpeg_count;
  unsigned int shared_ofa_count;
  unsigned int gpu_instance_slice_count;
  unsigned int compute_instance_slice_count;
  unsigned long long memory_size_mb;
};

// nvmlClockType_t
constexpr int kClockGraphics = 0;
constexpr int kClockSm = 1;
constexpr int kClockMem = 2;
// nvmlTemperatureSensors_t
constexpr int kTemperatureGpu = 0;
// nvmlTemperatureThresholds_t
constexpr int kTemperatureThresholdShutdown = 0;
constexpr int kTemperatureThresholdSlowdown = 1;

// nvmlClocksThrottleReason* bits
constexpr uint64_t kThrottleGpuIdle = 0x1;
constexpr uint64_t kThrottleApplicationsClocksSetting = 0x2;
constexpr uint64_t kThrottleSwPowerCap = 0x4;
constexpr uint64_t kThrottleHwSlowdown = 0x8;
constexpr uint64_t kThrottleSyncBoost = 0x10;
constexpr uint64_t kThrottleSwThermalSlowdown = 0x20;
constexpr uint64_t kThrottleHwThermalSlowdown = 0x40;
constexpr uint64_t kThrottleHwPowerBrakeSlowdown = 0x80;
constexpr uint64_t kThrottleDisplayClockSetting = 0x100;

constexpr unsigned int kDeviceNameBufferSize = 96;     // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned int kDeviceUuidBufferSize = 96;     // NVML_DEVICE_UUID_V2_BUFFER_SIZE
constexpr unsigned int kDriverVersionBufferSize = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

// Function types, named after the exported symbols.
using InitFn = Return (*)();                                          // nvmlInit_v2
using ShutdownFn = Return (*)();                                      // nvmlShutdown
using ErrorStringFn = const char* (*)(Return);                        // nvmlErrorString
using SystemGetDriverVersionFn = Return (*)(char*, unsigned int);     // nvmlSystemGetDriverVersion
using DeviceGetCountFn = Return (*)(unsigned int*);                   // nvmlDeviceGetCount_v2
using DeviceGetHandleByIndexFn = Return (*)(unsigned int, Device*);   // nvmlDeviceGetHandleByIndex_v2
using DeviceGetStringFn = Return (*)(Device, char*, unsigned int);    // nvmlDeviceGetName, nvmlDeviceGetUUID
using DeviceGetMemoryInfoFn = Return (*)(Device, Memory*);            // nvmlDeviceGetMemoryInfo
using DeviceGetMemoryInfoV2Fn = Return (*)(Device, MemoryV2*);        // nvmlDeviceGetMemoryInfo_v2 (newer drivers)
using DeviceGetUtilizationRatesFn = Return (*)(Device, Utilization*); // nvmlDeviceGetUtilizationRates
using DeviceGetTemperatureFn = Return (*)(Device, int, unsigned int*);          // nvmlDeviceGetTemperature
using DeviceGetTemperatureThresholdFn = Return (*)(Device, int, unsigned int*); // nvmlDeviceGetTemperatureThreshold
using DeviceGetUintFn = Return (*)(Device, unsigned int*);  // PowerUsage, EnforcedPowerLimit (mW), NumGpuCores
using DeviceGetClockFn = Return (*)(Device, int, unsigned int*);  // nvmlDeviceGetClockInfo, MaxClockInfo (MHz)
using DeviceGetThrottleReasonsFn = Return (*)(Device, unsigned long long*);  // ...CurrentClocksThrottleReasons
using DeviceGetCudaComputeCapabilityFn = Return (*)(Device, int*, int*);
using DeviceGetAttributesFn = Return (*)(Device, DeviceAttributes*);  // nvmlDeviceGetAttributes_v2

}  // namespace impetus::telemetry::nvml_api
