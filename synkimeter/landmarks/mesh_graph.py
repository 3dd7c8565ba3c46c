"""MediaPipe's face mesh graph (legacy FaceMesh solution), changed in two ways that leave the
followed face's landmarks the same bit for bit.

1. The search for more faces. The graph runs its face detector on every frame on which it follows
   fewer faces than `max_num_faces`; with synkimeter's two and one face in view that is every frame,
   a third of the mesh's time (1.4 of 4.6 ms a frame at 640x480). The detector's box for a face
   already followed is dropped in favour of the followed one (the graph's association step), so it
   changes nothing while no other face comes: a one-face graph gives the same landmarks bit for bit
   (tested on every sample and real clip). Here the detector still runs on every frame with no face
   followed, as before, but looks for *another* face only on the frames the caller marks (every
   `face_search_interval_s`): a second face is found that much later; nothing else changes.
2. One thread. The graph's default executor has a thread per core; a frame's calculators run one
   after another anyway, and handing them between threads costs 0.2-0.4 ms of CPU a frame on two
   cores (the same landmarks; no slower in wall time).

Both rely on the graph's stream and calculator names in the pinned MediaPipe version; a graph that
does not look as expected is left as it is (the search then runs on every frame, as MediaPipe's own).
"""

from __future__ import annotations

import functools
from typing import Any

# The input stream that tells the graph to look for more faces in this frame (a bool per frame).
SEARCH_STREAM = "search_faces"


def _node(proto: Any, text: str) -> None:
    from google.protobuf import text_format

    text_format.Merge(text, proto.node.add())


def _search_on_demand(proto: Any) -> bool:
    """Rewire the detector's gate: open when no face was followed in the frame before (as before),
    or when fewer than the most faces were followed and SEARCH_STREAM says so. False (and the graph
    untouched) when its nodes are not the expected ones."""
    from mediapipe.calculators.core import gate_calculator_pb2  # noqa: F401  (options' text names)
    from mediapipe.calculators.util import collection_has_min_size_calculator_pb2  # noqa: F401

    gates = [i for i, n in enumerate(proto.node) if n.calculator == "GateCalculator"
             and list(n.input_stream) == ["image", "DISALLOW:prev_has_enough_faces"]]
    counts = [n for n in proto.node if n.calculator == "NormalizedRectVectorHasMinSizeCalculator"
              and list(n.output_stream) == ["prev_has_enough_faces"]]
    if len(gates) != 1 or len(counts) != 1 or list(proto.input_stream) != ["IMAGE:image"]:
        return False
    gate = proto.node[gates[0]]
    (followed,) = [s.split(":", 1)[1] for s in counts[0].input_stream if s.startswith("ITERABLE:")] or [None]
    if followed is None or len(gate.output_stream) != 1:
        return False
    gated_image = gate.output_stream[0]
    del proto.node[gates[0]]
    proto.input_stream.append(SEARCH_STREAM)
    _node(proto, f"""calculator: "NormalizedRectVectorHasMinSizeCalculator"
        input_stream: "ITERABLE:{followed}" output_stream: "prev_has_a_face"
        options {{ [mediapipe.CollectionHasMinSizeCalculatorOptions.ext] {{ min_size: 1 }} }}""")
    _node(proto, """calculator: "GateCalculator"
        input_stream: "image" input_stream: "DISALLOW:prev_has_a_face" output_stream: "image_for_a_face"
        options { [mediapipe.GateCalculatorOptions.ext] { empty_packets_as_allow: true } }""")
    _node(proto, """calculator: "GateCalculator"
        input_stream: "image" input_stream: "DISALLOW:prev_has_enough_faces" output_stream: "image_for_more_faces"
        options { [mediapipe.GateCalculatorOptions.ext] { empty_packets_as_allow: true } }""")
    _node(proto, f"""calculator: "GateCalculator"
        input_stream: "image_for_more_faces" input_stream: "ALLOW:{SEARCH_STREAM}"
        output_stream: "image_for_a_search" """)
    _node(proto, f"""calculator: "MergeCalculator"
        input_stream: "image_for_a_face" input_stream: "image_for_a_search" output_stream: "{gated_image}" """)
    return True


def _one_thread(proto: Any) -> None:
    defaults = [e for e in proto.executor if not e.name]
    if proto.num_threads or any(e.type or e.options.ByteSize() for e in defaults):
        return  # a thread count MediaPipe chose on purpose: left alone
    for executor in defaults:
        proto.executor.remove(executor)
    proto.num_threads = 1


@functools.cache
def face_mesh_class(face_mesh_module: Any) -> type:
    """A subclass of `mediapipe.solutions.face_mesh.FaceMesh` whose graph is changed as above; its
    `searches_on_demand` says whether the search stream is there (else only the image goes in)."""
    from mediapipe.python.solution_base import PacketDataType

    class TunedFaceMesh(face_mesh_module.FaceMesh):
        searches_on_demand = False

        def _initialize_graph_interface(self, *args: Any, **kwargs: Any) -> Any:
            proto = super()._initialize_graph_interface(*args, **kwargs)
            _one_thread(proto)
            if _search_on_demand(proto):
                self._input_stream_type_info[SEARCH_STREAM] = PacketDataType.BOOL
                self.searches_on_demand = True
            return proto

    return TunedFaceMesh


__all__ = ["SEARCH_STREAM", "face_mesh_class"]
