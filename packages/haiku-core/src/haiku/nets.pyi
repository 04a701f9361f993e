# Type stub of the lazy `haiku.nets` namespace (served by haiku-nets).
from haiku_nets._src.mlp import MLP as MLP
from haiku_nets._src.mobilenet import MobileNetV1 as MobileNetV1
from haiku_nets._src.resnet import ResNet as ResNet
from haiku_nets._src.resnet import ResNet18 as ResNet18
from haiku_nets._src.resnet import ResNet34 as ResNet34
from haiku_nets._src.resnet import ResNet50 as ResNet50
from haiku_nets._src.resnet import ResNet101 as ResNet101
from haiku_nets._src.resnet import ResNet152 as ResNet152
from haiku_nets._src.resnet import ResNet200 as ResNet200
from haiku_nets._src.vector_quantizer import VectorQuantizer as VectorQuantizer
from haiku_nets._src.vector_quantizer import VectorQuantizerEMA as VectorQuantizerEMA
